package dev.panamax.kan;

import dev.panamax.kernel.KernelProvider;
import dev.panamax.kernel.SplineKernels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Hand-built networks: the float32 fast paths against the double reference, NaN and infinities included. */
class KanModelTest {

    /** A two-layer MultKAN with every feature: mult nodes of arity 2 and 3, symbolic edges (singular ones too), affines, masks. */
    static KanModel everything(BaseFunction base, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        // layer 0: 3 inputs -> 2 sum subnodes + (2 + 3) multiplied subnodes = 7 subnodes -> 4 nodes
        KanLayer a = TestKans.layer(3, 7, 5, 3, base, seed, true);
        Symbolic[] funs = new Symbolic[7 * 3];
        double[] symMask = new double[21], affine = new double[84];
        Symbolic[] pool = {Symbolic.X, Symbolic.SIN, Symbolic.INV, Symbolic.LOG, Symbolic.SQRT, Symbolic.ZERO, Symbolic.EXP, Symbolic.ARCTANH};
        double[] mask = a.mask().clone();
        for (int e = 0; e < 21; e++) {
            funs[e] = pool[rnd.nextInt(pool.length)];
            symMask[e] = rnd.nextInt(3) == 0 ? 0 : 1;
            affine[4 * e] = rnd.nextDouble(-2, 2);
            affine[4 * e + 1] = rnd.nextDouble(-0.5, 0.5);
            affine[4 * e + 2] = rnd.nextDouble(-1, 1);
            affine[4 * e + 3] = rnd.nextDouble(-0.2, 0.2);
        }
        for (int e = 0; e < mask.length; e++) if (rnd.nextInt(4) == 0) mask[e] = 0;
        double[] sub = new double[7], subB = new double[7], node = new double[4], nodeB = new double[4];
        for (int j = 0; j < 7; j++) { sub[j] = rnd.nextDouble(0.5, 1.5); subB[j] = rnd.nextDouble(-0.3, 0.3); }
        for (int j = 0; j < 4; j++) { node[j] = rnd.nextDouble(0.5, 1.5); nodeB[j] = rnd.nextDouble(-0.3, 0.3); }
        KanLayer l0 = new KanLayer(3, 7, 3, a.knots(), base, true, mask, a.scaleBase(), a.scaleSp(), a.coef(),
                funs, symMask, affine, sub, subB, 2, new int[] {2, 3}, node, nodeB);
        KanLayer b = TestKans.layer(4, 2, 4, 2, base, seed + 1, false);
        return new KanModel(List.of(l0, b), "test", null);
    }

    static void assertMatchesReference(KanModel model, float[][] x, String what) {
        assertMatchesReference(model, x, what, 2e-6);
    }

    /** abs: the absolute tolerance near 0, which grows with the number of terms a float32 output sums. */
    static void assertMatchesReference(KanModel model, float[][] x, String what, double abs) {
        float[][] y = model.predict(x);
        for (int r = 0; r < x.length; r++) {
            double[] xr = new double[x[r].length];
            for (int i = 0; i < xr.length; i++) xr[i] = x[r][i];
            double[] e = Reference.forward(model, xr);
            for (int c = 0; c < e.length; c++) {
                String where = what + " row " + r + " col " + c + " x=" + java.util.Arrays.toString(x[r]);
                if (Double.isNaN(e[c])) assertTrue(Float.isNaN(y[r][c]), where + ": expected NaN, got " + y[r][c]);
                else if (Double.isInfinite(e[c])) assertEquals((float) e[c], y[r][c], where);
                else assertEquals(e[c], y[r][c], Math.max(2e-5 * Math.abs(e[c]), abs), where);
            }
        }
    }

    static float[][] inputs(int rows, int width, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[][] x = new float[rows][width];
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -1f, 1f, 0.5f};
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < width; i++)
                x[r][i] = rnd.nextInt(12) == 0 ? special[rnd.nextInt(special.length)] : (float) rnd.nextDouble(-1.6, 1.6);
        return x;
    }

    @Test
    void everyFeatureMatchesTheReferenceOnBothPaths() {
        for (BaseFunction base : BaseFunction.values())
            for (String path : new String[] {"local", "dense"}) {
                System.setProperty("panamax.kan.path", path);
                try (KanModel m = everything(base, 5 + base.ordinal())) {
                    assertEquals(List.of(path, path), m.paths(300));
                    assertMatchesReference(m, inputs(300, 3, 9), base + " " + path);
                } finally {
                    System.clearProperty("panamax.kan.path");
                }
            }
    }

    @Test
    void anUnknownForcedPathIsAnError() {
        System.setProperty("panamax.kan.path", "sparse");
        try {
            var e = assertThrows(IllegalArgumentException.class, () -> everything(BaseFunction.SILU, 5).close());
            assertTrue(e.getMessage().contains("panamax.kan.path") && e.getMessage().contains("sparse"), e.getMessage());
        } finally {
            System.clearProperty("panamax.kan.path");
        }
    }

    @Test
    void anEmptyBatchGivesNoRowsAndANegativeOneIsAnError() {
        // 32 x 64 edges: the small batches' choices are timed (oneByOne 0), which once took
        // route(0), an index of -1, for a batch of none
        try (KanModel m = TestKans.model(5, 3, 32, 64, 4)) {
            assertEquals(0, m.plans().getFirst().oneByOne);
            assertEquals(0, m.predict(new float[0][]).length);
            assertEquals(0, m.forward(new float[0], 0).length);
            try (Arena arena = Arena.ofConfined()) {
                m.predict(arena.allocate(0), arena.allocate(0), 0);
            }
            var e = assertThrows(IllegalArgumentException.class, () -> m.forward(new float[32], -1));
            assertTrue(e.getMessage().contains("rows") && e.getMessage().contains("-1"), e.getMessage());
            for (int batch : new int[] {0, -1}) {
                var p = assertThrows(IllegalArgumentException.class, () -> m.paths(batch));
                assertTrue(p.getMessage().contains("batch") && p.getMessage().contains(String.valueOf(batch)), p.getMessage());
            }
        }
    }

    @Test
    void singularSymbolicEdgesGiveInfinityAndNaNWherePykanDoes() {
        // one input, one output, f = 1/x on a·x + b with a = 1, b = 0, c = 1, d = 0; spline edge off
        KanLayer base = TestKans.layer(1, 1, 3, 3, BaseFunction.SILU, 1);
        for (Symbolic f : new Symbolic[] {Symbolic.INV, Symbolic.LOG, Symbolic.SQRT}) {
            KanLayer l = new KanLayer(1, 1, 3, base.knots(), BaseFunction.SILU, true, new double[] {0}, base.scaleBase(), base.scaleSp(),
                    base.coef(), new Symbolic[] {f}, new double[] {1}, new double[] {1, 0, 1, 0}, new double[] {1}, new double[] {0},
                    1, new int[0], new double[] {1}, new double[] {0});
            try (KanModel m = new KanModel(List.of(l), "test", null)) {
                float[][] y = m.predict(new float[][] {{0f}, {-1f}, {4f}});
                switch (f) {
                    case INV -> assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, -1f, 0.25f}, new float[] {y[0][0], y[1][0], y[2][0]});
                    case LOG -> {
                        assertEquals(Float.NEGATIVE_INFINITY, y[0][0]);
                        assertTrue(Float.isNaN(y[1][0]));
                        assertEquals((float) Math.log(4), y[2][0], 1e-6);
                    }
                    default -> {
                        assertEquals(0f, y[0][0]);
                        assertTrue(Float.isNaN(y[1][0]));
                        assertEquals(2f, y[2][0], 1e-6);
                    }
                }
            }
        }
    }

    @Test
    void aNaNInputReachesEveryOutputThroughMaskedEdgesAsInTorch() {
        try (KanModel m = TestKans.model(5, 3, 2, 4, 3)) {
            float[][] y = m.predict(new float[][] {{Float.NaN, 0.3f}, {0.2f, 0.3f}});
            for (float v : y[0]) assertTrue(Float.isNaN(v), "silu(NaN) is NaN on every edge");
            for (float v : y[1]) assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void batchesSplitAcrossThreadsGiveTheSameFloatsAsOneByOne() {
        try (KanModel m = TestKans.model(5, 3, 6, 33, 17)) {
            float[][] x = inputs(700, 6, 3);
            float[][] all = m.predict(x);
            for (int r = 0; r < x.length; r += 37) assertArrayEquals(all[r], m.predict(new float[][] {x[r]})[0], "row " + r);
        }
    }

    @Test
    void wideLayersSplitByOutputsGiveTheSameFloatsAndMatchTheReference() {
        try (KanModel m = TestKans.model(5, 3, 8, 200, 3)) {       // 8 x 200 edges: batch 1 splits its 200 outputs
            for (LayerPlan p : m.plans()) {                         // whatever the timing said:
                p.splitOutputs = true;
                p.denseMode = -1;                                   // the local path (dense floats may differ)
            }
            float[][] x = inputs(300, 8, 4);
            float[][] all = m.predict(x);                           // 300 rows: split by samples instead
            for (int r = 0; r < x.length; r += 13) assertArrayEquals(all[r], m.predict(new float[][] {x[r]})[0], "row " + r);
            assertMatchesReference(m, java.util.Arrays.copyOf(x, 40), "wide", 3e-5);   // 200-term float32 sums of O(1) terms
        }
    }

    @Test
    void oneSampleAtATimeGivesTheFloatsOfTheBatchLoop() {
        // Batch 1 has its own path (bases across the inputs, outputs in registers, slices of w per
        // thread); every row alone must come out as in a batch of the tiled loop: grids shared by
        // all inputs (bases in lanes) or not, cubic or not, every base function, a split wide layer
        // (its slices copied, or read in place as for a large layer), inputs on knots, at the grid's
        // ends, beyond it and non-finite.
        record Case(BaseFunction base, boolean nonUniform, boolean inPlace) {}
        var cases = List.of(new Case(BaseFunction.SILU, false, false), new Case(BaseFunction.SILU, true, false),
                new Case(BaseFunction.IDENTITY, false, false), new Case(BaseFunction.IDENTITY, false, true), new Case(BaseFunction.ZERO, false, false));
        float[][] x = inputs(12, 128, 23);
        for (int r = 0; r < x.length; r++) x[r][r % 128] = -1f + 0.4f * (r % 11 - 3);     // knots of G = 5, and beyond
        for (Case c : cases) {
            // 128 x (64·threads + 2) edges: the narrowest layer split into a slice per pool thread, the
            // last one ragged (on two threads 80 and 50 outputs); unsplit on one thread
            int wide = 64 * KernelProvider.pool().threads() + 2;
            var layers = List.of(TestKans.layer(128, wide, 5, 3, c.base(), 51, c.nonUniform()), TestKans.layer(wide, 5, 5, 3, c.base(), 52, c.nonUniform()),
                    TestKans.layer(5, 3, 4, 2, c.base(), 53, c.nonUniform()));
            System.setProperty("panamax.kan.path", "local");       // no timing of the paths: this test is about floats
            long copyLimit = LayerPlan.sliceCopyFloats;
            if (c.inPlace()) LayerPlan.sliceCopyFloats = 0;
            try (KanModel m = new KanModel(layers, "t", null)) {
                LayerPlan.sliceCopyFloats = copyLimit;
                for (LayerPlan p : m.plans()) { p.batchBases = false; p.sampleSplit = 1; }
                float[][] all = m.predict(x);
                for (int r = 0; r < x.length; r++)
                    assertArrayEquals(all[r], m.predict(new float[][] {x[r]})[0], c + " row " + r + " " + java.util.Arrays.toString(x[r]));
                for (LayerPlan p : m.plans()) p.sampleSplit = -1;
                for (int r = 0; r < x.length; r += 3) assertArrayEquals(all[r], m.predict(new float[][] {x[r]})[0], c + " unsplit row " + r);
                assertMatchesReference(m, java.util.Arrays.copyOf(x, 6), c.toString(), 1e-4);   // 130-term float32 sums of O(1) terms
            } finally {
                System.clearProperty("panamax.kan.path");
                LayerPlan.sliceCopyFloats = copyLimit;
            }
        }
    }

    @Test
    void smallBatchesSampleBySampleGiveTheFloatsOfBatchOneAndOfTheLoop() {
        // Batches of 2 .. 255 may run each sample through batch 1's path (LayerPlan.small): a wide
        // layer split by batch 1's timing, a narrow one, a non-cubic one, inputs beyond the grid
        // and non-finite; every row as batch 1 and as the tiled loop give it.
        int wide = 64 * KernelProvider.pool().threads() + 2;
        var layers = List.of(TestKans.layer(128, wide, 5, 3, BaseFunction.SILU, 71), TestKans.layer(wide, 6, 5, 3, BaseFunction.SILU, 72),
                TestKans.layer(6, 3, 4, 2, BaseFunction.SILU, 73, true));
        System.setProperty("panamax.kan.path", "local");           // no timing of the paths: this test is about floats
        try (KanModel m = new KanModel(layers, "t", null)) {
            float[][] x = inputs(37, 128, 12);
            float[][] alone = new float[x.length][];
            for (int r = 0; r < x.length; r++) alone[r] = m.predict(new float[][] {x[r]})[0];
            LayerPlan first = m.plans().getFirst();
            for (int batch : new int[] {2, 5, 16, 37}) {
                float[][] part = Arrays.copyOf(x, batch);
                for (LayerPlan p : m.plans()) p.oneByOne = -1;
                assertEquals(List.of("local", "local", "local"), m.paths(batch));
                float[][] loop = m.predict(part);
                for (LayerPlan p : m.plans()) p.oneByOne = 1;
                assertEquals(List.of("sample", "sample", "sample"), m.paths(batch));
                int before = first.nextPhase();          // batch 1's split choice counts these calls among its own (one thread: no split to choose)
                float[][] each = m.predict(part);
                int calls = first.splittable(1) ? batch : 0;
                assertEquals((before + 1 + calls) % first.period(), first.nextPhase(), "batch " + batch + " went sample by sample");
                for (int r = 0; r < batch; r++) {
                    assertArrayEquals(alone[r], each[r], "batch " + batch + " row " + r + " sample by sample");
                    assertArrayEquals(loop[r], each[r], "batch " + batch + " row " + r + " loop");
                }
            }
        } finally {
            System.clearProperty("panamax.kan.path");
        }
    }

    @Test
    void smallBatchesTakeTheRouteTheirTimesSay() {
        try (KanModel m = TestKans.model(5, 3, 2, 3)) {
            LayerPlan p = m.plans().getFirst();
            p.oneByOne = 0;
            assertEquals("local", m.paths(8).getFirst(), "the loop first");
            // per sample 10 us a row, the loop 20: batches of 8-15 go sample by sample, no other
            TimedChoice eight = p.route(8);
            assertSame(eight, p.route(15));
            assertNotSame(eight, p.route(16));
            int each = run(eight, TimedChoice.MIN_PERIOD, 10_000, 20_000);
            assertEquals(TimedChoice.MIN_PERIOD - TimedChoice.SETTLE - TimedChoice.WINDOW, each, "sample by sample after the first trial");
            assertEquals(List.of("sample", "sample", "local", "local", "sample", "local"),
                    List.of(m.paths(8).getFirst(), m.paths(15).getFirst(), m.paths(7).getFirst(), m.paths(16).getFirst(), m.paths(1).getFirst(), m.paths(300).getFirst()));
            // the loop gets faster (a busy pool stalls batch 1's split calls): back within one period
            run(eight, 2 * TimedChoice.MIN_PERIOD, 30_000, 20_000);
            assertEquals("local", m.paths(8).getFirst());
            // only 5% apart: the way chosen stays
            run(eight, 8 * TimedChoice.MIN_PERIOD, 19_000, 20_000);
            assertEquals("local", m.paths(8).getFirst());
            assertTrue(eight.period() >= 4 * TimedChoice.MIN_PERIOD, "period " + eight.period() + " after failed trials");
            p.oneByOne = 1;
            assertEquals("sample", m.paths(16).getFirst(), "pinned");
        }
    }

    @Test
    void fromSixtyFourRowsDenseOrLocalIsAChoiceOfTheCallsTimesPerPowerOfTwo() {
        try (KanModel m = TestKans.model(5, 3, 32, 64, 4)) {
            LayerPlan p = m.plans().getFirst();
            assertEquals(0, p.denseMode, "32 x 64 edges: timed");
            assertEquals(-1, m.plans().get(1).denseMode, "64 x 4 edges: too small to time, never dense");
            // oneDNN in place, 9 dense multiply-adds per 5 local: dense first, from 64 rows, whole or split
            for (int batch : new int[] {64, 255, 4096}) assertEquals(List.of("dense", "local"), m.paths(batch), "batch " + batch);
            assertNotEquals("dense", m.paths(63).getFirst());
            TimedChoice c = p.denseChoice(64, false);
            assertSame(c, p.denseChoice(127, false));
            assertNotSame(c, p.denseChoice(128, false));
            assertNotSame(c, p.denseChoice(64, true));
            // the first period keeps the first way: not one call local, however fast local is
            int trusted = TimedChoice.MIN_PERIOD - 2 * (TimedChoice.SETTLE + TimedChoice.WINDOW);
            assertEquals(trusted, run(c, trusted, 20_000, 10_000));
            // then a trial: local twice as fast takes batches of 64-127, no other
            run(c, 2 * (TimedChoice.SETTLE + TimedChoice.WINDOW), 20_000, 10_000);
            assertFalse(c.chosen());
            assertEquals(List.of(false, false, true, true), List.of(m.paths(64).getFirst().equals("dense"), m.paths(127).getFirst().equals("dense"),
                    m.paths(128).getFirst().equals("dense"), m.paths(4096).getFirst().equals("dense")));
            // dense faster again: back within one period
            run(c, TimedChoice.MIN_PERIOD, 10_000, 20_000);
            assertEquals("dense", m.paths(64).getFirst());
        }
    }

    @Test
    void aLayerWhoseDensePathIsSlowTurnsLocalByItsOwnCalls() {
        // The dense path made 5 ms a call slower: after the first (trusted) period, the calls' own
        // times move the layer to the local path, whole batches and batches split across the pool
        // alike, and a later trial of the dense path keeps it there; the floats stay the model's.
        int threads = KernelProvider.pool().threads();
        boolean split = threads > 1;
        // a batch KanModel.forward splits into parts of 64 rows or more (dense is a choice from 64 rows a part)
        int splitBatch = Math.max(512, Integer.highestOneBit(64 * threads - 1) * 2);
        int window = TimedChoice.SETTLE + TimedChoice.WINDOW, trusted = TimedChoice.MIN_PERIOD - 2 * window;
        long stall = LayerPlan.denseStallNanos;
        try (KanModel m = TestKans.model(5, 3, 32, 64, 4)) {
            LayerPlan p = m.plans().getFirst();
            for (int batch : split ? new int[] {64, splitBatch} : new int[] {64}) {
                float[][] x = finiteInputs(batch, 32, batch);
                TimedChoice c = p.denseChoice(batch, batch >= KanModel.PARALLEL_FROM);
                for (int i = 0; i < trusted; i++) c.nextPhase();        // past the first period, which would keep dense
                assertEquals("dense", m.paths(batch).getFirst());
                p.oneByOne = -1;            // the tiled loop, compiled: a local path cold or sample by sample may take as long as the stall
                p.denseMode = -1;
                for (int i = 0; i < 100; i++) m.predict(x);
                p.denseMode = 0;
                LayerPlan.denseStallNanos = 5_000_000;
                for (int i = 0; i < 2 * window; i++) m.predict(x);
                assertNotEquals("dense", m.paths(batch).getFirst(), "batch " + batch + " after a trial of the local path");
                assertEquals(TimedChoice.MIN_PERIOD, c.period());
                for (int i = 0; i < TimedChoice.MIN_PERIOD; i++) m.predict(x);      // a period, with a trial of dense
                assertNotEquals("dense", m.paths(batch).getFirst(), "batch " + batch + " after a trial of the dense path");
                assertEquals(2 * TimedChoice.MIN_PERIOD, c.period(), "batch " + batch + ": a failed trial doubles the period");
                LayerPlan.denseStallNanos = stall;
                assertMatchesReference(m, Arrays.copyOf(x, 8), "batch " + batch, 1e-4);
            }
            assertEquals("dense", m.paths(128).getFirst(), "other batch sizes keep their own choice");
        } finally {
            LayerPlan.denseStallNanos = stall;
        }
    }

    @Test
    void aForcedPathStaysForcedWhateverTheCallsTake() {
        long stall = LayerPlan.denseStallNanos;
        for (String path : new String[] {"local", "dense"}) {
            System.setProperty("panamax.kan.path", path);
            try (KanModel m = TestKans.model(5, 3, 32, 64, 4)) {
                LayerPlan.denseStallNanos = 200_000;            // dense slow: forced dense stays dense all the same
                float[][] x = finiteInputs(64, 32, 3);
                float[][] first = m.predict(x);
                for (int i = 0; i < 3 * (TimedChoice.SETTLE + TimedChoice.WINDOW); i++) m.predict(x);
                for (int batch : new int[] {64, 100, 300, 4096}) assertEquals(List.of(path, path), m.paths(batch), path + " batch " + batch);
                if (path.equals("dense")) assertEquals(List.of(path, path), m.paths(1), "forced dense: batch 1 too");
                assertArrayEquals(first, m.predict(x), path + ": the same path, the same floats");
            } finally {
                System.clearProperty("panamax.kan.path");
                LayerPlan.denseStallNanos = stall;
            }
        }
        try (KanModel tiny = TestKans.model(5, 3, 2, 5, 1)) {          // [2,5,1]: not timed, local at every batch
            for (int batch : new int[] {64, 4096}) assertEquals(List.of("local", "local"), tiny.paths(batch));
        }
    }

    @Test
    void aChoiceUsesTheTimesOfTheCallsCountsNamesAndNoOther() {
        // Batch 1 reads the clock only for the calls counts() names: a time given for any other
        // call must change nothing. Those get absurd times here; the counted ones make the trial
        // way (true, 10 us) win the first period and lose the second (true chosen, false 20 us).
        TimedChoice c = new TimedChoice(false, TimedChoice.MIN_PERIOD * 8, TimedChoice.MIN_PERIOD * 8);
        int counted = 0;
        for (int i = 0; i < 2 * TimedChoice.MIN_PERIOD; i++) {
            int phase = c.nextPhase();
            boolean way = c.now(phase);
            if (c.counts(phase)) counted++;
            c.timed(phase, c.counts(phase) ? (way ? 10_000 : 20_000) : 1_000_000_000_000L);
        }
        assertEquals(4 * TimedChoice.WINDOW, counted, "two windows a period, their settling calls not counted");
        assertTrue(c.chosen(), "the faster way, by the counted calls alone");
        assertEquals(2 * TimedChoice.MIN_PERIOD, c.period(), "a failed trial in the second period doubles it");
    }

    /** Runs n small-batch choices with these times per row; returns how many went sample by sample. */
    private static int run(TimedChoice route, int n, long eachNanos, long loopNanos) {
        int each = 0;
        for (int i = 0; i < n; i++) {
            int phase = route.nextPhase();
            boolean oneByOne = route.now(phase);
            if (oneByOne) each++;
            route.timed(phase, oneByOne ? eachNanos : loopNanos);
        }
        return each;
    }

    @Test
    void aNarrowLayerInsideTheSplitOfTheWideOneBeforeItGivesItsOwnFloats() throws Exception {
        // Batch 1 runs a narrow layer inside the split of the wide layer before it (each thread the
        // blocks of the inputs it has just computed, the caller adding the blocks' sums): the floats
        // must be those of the two layers one by one (unsplit) and of a batch's tiled loop. Shared
        // uniform grids (bases in lanes) or not, SiLU or identity; inputs to the narrow layer that
        // lie off its grid, on knots, or are infinite or NaN (a column of the wide layer overflows),
        // and model inputs that are not finite (the layers then go one by one).
        int threads = KernelProvider.pool().threads(), wide = 128 * threads;   // slices of 128 outputs: whole blocks of the next layer on 2 or 4 threads
        float[][] x = inputs(40, 64, 31);
        for (int r = 0; r < 20; r++) for (int i = 0; i < 64; i++) if (!Float.isFinite(x[r][i])) x[r][i] = 0.25f;   // the first 20 rows finite
        // rich: the narrow layer quadratic (k = 2), with symbolic edges (INV among them) and multiplication nodes
        record Case(BaseFunction base, boolean nonUniform, boolean overflow, boolean rich) {
            Case(BaseFunction base, boolean nonUniform, boolean overflow) { this(base, nonUniform, overflow, false); }
        }
        System.setProperty("panamax.kan.path", "local");       // no timing of the paths: this test is about floats
        try {
            for (Case c : List.of(new Case(BaseFunction.SILU, false, false), new Case(BaseFunction.SILU, true, false),
                    new Case(BaseFunction.IDENTITY, false, true), new Case(BaseFunction.SILU, false, true),
                    new Case(BaseFunction.SILU, true, false, true),
                    new Case(BaseFunction.ZERO, false, false))) {     // zero base: a non-finite input's row differs unless recomputed exactly
                KanLayer a = TestKans.layer(64, wide, 5, 3, c.base(), 81, c.nonUniform());
                if (c.overflow()) {         // output 5 overflows float32 for most samples: +-inf, or NaN where both meet
                    double[] sb = a.scaleBase().clone();
                    for (int i = 0; i < 64; i++) sb[i * wide + 5] = (i % 2 == 0 ? 3e38 : -2e38);
                    a = new KanLayer(64, wide, 3, a.knots(), c.base(), true, a.mask(), sb, a.scaleSp(), a.coef(), null, null, null,
                            TestKans.ones(wide), new double[wide], wide, new int[0], TestKans.ones(wide), new double[wide]);
                }
                var layers = c.rich()
                        ? List.of(a, symbolicAndProducts(TestKans.layer(wide, 7, 5, 2, c.base(), 82, c.nonUniform()), 84), TestKans.layer(4, 3, 4, 2, c.base(), 83))
                        : List.of(a, TestKans.layer(wide, 6, 5, 3, c.base(), 82, c.nonUniform()), TestKans.layer(6, 3, 4, 2, c.base(), 83));
                try (KanModel m = new KanModel(layers, "t", null)) {
                    if (threads == 2 || threads == 4) assertTrue(m.fused(0), c + ": the narrow layer runs inside the wide one's split");
                    assertFalse(m.fused(1), "the narrow layer does not split");
                    for (LayerPlan p : m.plans()) p.batchBases = false;
                    float[][] tiled = m.predict(x);
                    float[][] fused = new float[x.length][];
                    for (LayerPlan p : m.plans()) p.sampleSplit = 1;
                    for (int r = 0; r < x.length; r++) fused[r] = m.predict(new float[][] {x[r]})[0];
                    for (LayerPlan p : m.plans()) p.sampleSplit = -1;
                    int nonFinite = 0;
                    for (int r = 0; r < x.length; r++) {
                        String row = c + " row " + r;
                        assertArrayEquals(m.predict(new float[][] {x[r]})[0], fused[r], row + ": fused against the layers one by one");
                        assertArrayEquals(tiled[r], fused[r], row + ": fused against the batch's tiled loop");
                        for (float v : fused[r]) if (!Float.isFinite(v)) nonFinite++;
                    }
                    if (c.overflow()) assertTrue(nonFinite > 0, c + ": the overflow reached the outputs");
                    else if (!c.rich()) assertMatchesReference(m, Arrays.copyOf(x, 6), c.toString(), 1e-4 * Math.max(1, wide / 256));   // float32 error grows with the wide layer's width
                    // several threads at once, the split timed: the pool is busy for all but one, which then run both slices themselves
                    for (LayerPlan p : m.plans()) p.sampleSplit = 0;
                    assertNull(rowByRowFromThreads(m, x, fused, 3, 10), c.toString());
                }
            }
        } finally {
            System.clearProperty("panamax.kan.path");
        }
    }

    /**
     * Layer b (7 outputs) with symbolic edges on every 37th edge (sin, x, 1/x) and multiplication
     * nodes: 2 sums, a product of 2 and one of 3, so 4 nodes, each with an affine.
     */
    private static KanLayer symbolicAndProducts(KanLayer b, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int in = b.in(), out = b.out(), edges = in * out;
        Symbolic[] funs = new Symbolic[edges], pool = {Symbolic.SIN, Symbolic.X, Symbolic.INV};
        Arrays.fill(funs, Symbolic.ZERO);
        double[] symMask = new double[edges], affine = new double[4 * edges];
        for (int e = 0; e < edges; e += 37) {
            funs[e] = pool[rnd.nextInt(pool.length)];
            symMask[e] = 1;
            for (int q = 0; q < 4; q++) affine[4 * e + q] = rnd.nextDouble(-1, 1);
        }
        double[] sub = new double[out], subB = new double[out], node = new double[4], nodeB = new double[4];
        for (int j = 0; j < out; j++) { sub[j] = rnd.nextDouble(0.5, 1.5); subB[j] = rnd.nextDouble(-0.3, 0.3); }
        for (int j = 0; j < 4; j++) { node[j] = rnd.nextDouble(0.5, 1.5); nodeB[j] = rnd.nextDouble(-0.3, 0.3); }
        return new KanLayer(in, out, b.k(), b.knots(), b.base(), true, b.mask(), b.scaleBase(), b.scaleSp(), b.coef(),
                funs, symMask, affine, sub, subB, 2, new int[] {2, 3}, node, nodeB);
    }

    @Test
    void aWideLayerWhoseSlicesCutTheNextLayersBlocksIsNotFused() {
        // 136 x threads outputs: slices of 144 (whole vectors) on 2 threads, while the next layer's
        // blocks of 272 inputs start at 0, 68, 136, 204; a slice ending inside a block cannot give
        // that block's chain, so batch 1 runs the two layers one by one, with the batch's floats.
        int threads = KernelProvider.pool().threads(), wide = 136 * threads;
        var layers = List.of(TestKans.layer(64, wide, 5, 3, BaseFunction.SILU, 91), TestKans.layer(wide, 6, 5, 3, BaseFunction.SILU, 92));
        System.setProperty("panamax.kan.path", "local");
        try (KanModel m = new KanModel(layers, "t", null)) {
            if (threads == 2) assertFalse(m.fused(0));
            for (LayerPlan p : m.plans()) { p.batchBases = false; p.sampleSplit = 1; }
            float[][] x = inputs(8, 64, 93), tiled = m.predict(x);
            for (int r = 0; r < x.length; r++) assertArrayEquals(tiled[r], m.predict(new float[][] {x[r]})[0], "row " + r);
        } finally {
            System.clearProperty("panamax.kan.path");
        }
    }

    @Test
    void threadsSharingAModelGetTheirOwnFloatsAtBatchOne() throws Exception {
        // Batch 1 keeps per-model state (the Samples of spans and bases its slices prepare in, the split's timing)
        // and may hand slices to the pool while other threads call: four threads at once, splitting
        // as the timing says, must each get what the model gives one row at a time on its own.
        int wide = 64 * KernelProvider.pool().threads() + 2;
        var layers = List.of(TestKans.layer(40, wide, 5, 3, BaseFunction.SILU, 61), TestKans.layer(wide, 4, 5, 3, BaseFunction.SILU, 62));
        System.setProperty("panamax.kan.path", "local");           // no timing of the paths
        try (KanModel m = new KanModel(layers, "t", null)) {
            float[][] x = inputs(64, 40, 9);
            float[][] expected = new float[x.length][];
            for (int r = 0; r < x.length; r++) expected[r] = m.predict(new float[][] {x[r]})[0];
            assertNull(rowByRowFromThreads(m, x, expected, 4, 20));
        } finally {
            System.clearProperty("panamax.kan.path");
        }
    }

    /**
     * Each of {@code threads} threads at once predicts its share of the rows of x one at a time
     * ({@code rounds} times over): the first row whose output is not {@code expected}'s, as
     * "thread t round r row i", or null when every one was.
     */
    private static String rowByRowFromThreads(KanModel m, float[][] x, float[][] expected, int threads, int rounds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                results.add(pool.submit(() -> {
                    for (int round = 0; round < rounds; round++)
                        for (int r = first; r < x.length; r += threads)
                            if (!Arrays.equals(expected[r], m.predict(new float[][] {x[r]})[0])) return "thread " + first + " round " + round + " row " + r;
                    return null;
                }));
            }
            for (Future<String> f : results) {
                String failure = f.get(60, TimeUnit.SECONDS);
                if (failure != null) return failure;
            }
            return null;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void batchOneSplitsOrNotAsItsOwnTimesSay() {
        try (KanModel m = TestKans.model(5, 3, 2, 3)) {
            LayerPlan p = m.plans().getFirst();
            assertTrue(p.splitChosen(), "split first");
            // quiet: split 10 us, unsplit 20 us; split stays, unsplit only in its ever rarer trial windows
            int trials = 4, calls = 0;
            for (int t = 0, period = TimedChoice.MIN_PERIOD; t < trials; t++, period *= 2) calls += period;
            assertEquals((TimedChoice.SETTLE + TimedChoice.WINDOW) * trials, run(p, calls, 10_000, 20_000));
            assertTrue(p.splitChosen());
            assertEquals(LayerPlan.SPLIT_MAX_PERIOD, p.period(), "split periods grow to their cap");
            // a burst: one period of stalls, then quiet again; one won trial does not change the way
            run(p, LayerPlan.SPLIT_MAX_PERIOD, 100_000, 20_000);
            assertTrue(p.splitChosen(), "still split after one trial of stalls");
            assertEquals(TimedChoice.MIN_PERIOD, p.period(), "the confirming trial comes soon");
            run(p, TimedChoice.MIN_PERIOD, 10_000, 20_000);
            assertTrue(p.splitChosen(), "split: the next trial did not confirm");
            // busy: split 100 us with the stalls; unsplit after two trials in a row, then ever rarer trials
            run(p, 2 * LayerPlan.SPLIT_MAX_PERIOD, 100_000, 20_000);
            assertFalse(p.splitChosen(), "unsplit after two trials of stalls");
            calls = 20 * TimedChoice.MIN_PERIOD;
            int splits = calls - run(p, calls, 100_000, 20_000);
            assertTrue(splits < 6 * (TimedChoice.SETTLE + TimedChoice.WINDOW), splits + " split calls: the period doubles after each failed trial");
            assertTrue(p.period() >= 8 * TimedChoice.MIN_PERIOD, "period " + p.period() + " after four failed trials");
            // quiet again: split back within the longest period
            run(p, 2 * LayerPlan.MAX_PERIOD, 10_000, 20_000);
            assertTrue(p.splitChosen(), "split again once the stalls are gone");
        }
    }

    @Test
    void aBatchTooLargeForOneArrayIsRefusedUpFrontNamingTheLimit() {
        // 10 million rows of a 256-wide layer: 2.56e9 floats, past what one Java array holds. Before,
        // the int product overflowed into NegativeArraySizeException (or an OutOfMemoryError).
        try (KanModel m = new KanModel(List.of(TestKans.layer(4, 256, 5, 3, BaseFunction.SILU, 95, false)), "t", null)) {
            int rows = 10_000_000, most = KanModel.MAX_FLOATS / 256;
            for (var call : List.<org.junit.jupiter.api.function.Executable>of(
                    () -> m.forward(new float[4], rows),
                    () -> m.predict(MemorySegment.ofArray(new float[4]), MemorySegment.ofArray(new float[4]), rows))) {
                var e = assertThrows(IllegalArgumentException.class, call);
                assertTrue(e.getMessage().contains(rows + " rows") && e.getMessage().contains("at most " + most + " rows"), e.getMessage());
            }
            assertEquals(256, m.forward(new float[4], 1).length, "a batch of one still runs");
        }
    }

    @Test
    void batchOneGivesTheSameFloatsWhereverItsSlicesSitAndAlignsThemToCacheLines() {
        int threads = KernelProvider.pool().threads(), wide = 128 * threads;
        Assumptions.assumeTrue(threads >= 2, "one thread: no slices");
        var layers = List.of(TestKans.layer(64, wide, 5, 3, BaseFunction.SILU, 97, false), TestKans.layer(wide, 6, 5, 3, BaseFunction.SILU, 98, false));
        try (KanModel m = new KanModel(layers, "t", null)) {
            LayerPlan p = m.plans().getFirst();
            p.sampleSplit = 1;                                   // always split: the slices are what batch 1 reads
            float[][] x = inputs(6, 64, 99);
            float[][] expected = new float[x.length][];
            for (int r = 0; r < x.length; r++) expected[r] = m.predict(new float[][] {x[r]})[0];
            for (int shift = 15; shift >= 0; shift--) {
                p.shiftSlices(shift);
                for (int r = 0; r < x.length; r++) assertArrayEquals(expected[r], m.predict(new float[][] {x[r]})[0], "slices " + shift + " floats in, row " + r);
            }
            Assumptions.assumeTrue(dev.panamax.dnnl.HeapArrays.available(), "no way to ask where the JVM holds an array");
            for (int attempt = 0; ; attempt++) {       // a GC may move the array between align and the check: then again
                p.shiftSlices(attempt % 16);
                p.align();
                int at = p.slicesLineOffset();
                if (at == 0) break;
                assertTrue(attempt < 20, "slice 0 still starts " + at + " bytes into its cache line");
            }
            for (int r = 0; r < x.length; r++) assertArrayEquals(expected[r], m.predict(new float[][] {x[r]})[0], "aligned, row " + r);
        }
    }

    @Test
    void theFusedPairTimesItsCallsInAChoiceOfItsOwn() {
        // forwardWith's calls time two layers; the wide layer's own batch-1 calls (small batches
        // sample by sample) time one. Fed into one choice, a trial window holding both kinds would
        // compare a pair with a single layer.
        int threads = KernelProvider.pool().threads(), wide = 128 * threads;
        var layers = List.of(TestKans.layer(64, wide, 5, 3, BaseFunction.SILU, 91, false), TestKans.layer(wide, 6, 5, 3, BaseFunction.SILU, 92, false));
        try (KanModel m = new KanModel(layers, "t", null)) {
            Assumptions.assumeTrue(m.fused(0), "the wide layer splits in whole blocks of the narrow one's inputs on 2 or 4 threads");
            LayerPlan p = m.plans().getFirst();
            p.oneByOne = 1;                                   // batches of 2+ sample by sample, through the wide layer's own batch-1 call
            float[][] x = inputs(8, 64, 93);
            for (int r = 0; r < x.length; r++) for (int i = 0; i < 64; i++) if (!Float.isFinite(x[r][i])) x[r][i] = 0.5f;
            int single = p.nextPhase(), pair = p.pairSplit().nextPhase();
            for (float[] row : x) m.predict(new float[][] {row});                 // 8 fused calls
            assertEquals((single + 1) % p.period(), p.nextPhase(), "the fused calls left the wide layer's own choice alone");
            assertEquals((pair + 1 + x.length) % p.pairSplit().period(), p.pairSplit().nextPhase(), "each fused call counted in the pair's choice");
            single = p.nextPhase();
            pair = p.pairSplit().nextPhase();
            m.predict(Arrays.copyOf(x, 4));                                         // 4 samples one by one through the wide layer alone
            assertEquals((single + 1 + 4) % p.period(), p.nextPhase(), "each sample counted in the wide layer's own choice");
            assertEquals((pair + 1) % p.pairSplit().period(), p.pairSplit().nextPhase(), "and not in the pair's");
        }
    }

    @Test
    void batchOneIgnoresTheCostOfChangingWays() {
        // The first split call after unsplit ones pays 0.5 ms (the worker wakes from park, the slices
        // of the weights come back from memory); counted, it made a quiet machine go unsplit.
        try (KanModel m = TestKans.model(5, 3, 2, 3)) {
            LayerPlan p = m.plans().getFirst();
            run(p, 8 * TimedChoice.MIN_PERIOD, 10_000, 20_000, 500_000);
            assertTrue(p.splitChosen(), "split is twice as fast once changed to");
            run(p, LayerPlan.SPLIT_MAX_PERIOD, 100_000, 20_000, 500_000);
            assertFalse(p.splitChosen(), "unsplit when the split calls stall");
            run(p, 2 * LayerPlan.MAX_PERIOD, 10_000, 20_000, 500_000);
            assertTrue(p.splitChosen(), "split again once the stalls are gone");
        }
    }

    /** Runs n batch-1 choices with these times per call; returns how many went unsplit. */
    private static int run(LayerPlan p, int n, long splitNanos, long wholeNanos) {
        return run(p, n, splitNanos, wholeNanos, 0);
    }

    /** {@link #run(LayerPlan, int, long, long)} where a split call after an unsplit one takes {@code wakeNanos} more. */
    private static int run(LayerPlan p, int n, long splitNanos, long wholeNanos, long wakeNanos) {
        int whole = 0;
        boolean last = p.splitChosen();
        for (int i = 0; i < n; i++) {
            int phase = p.nextPhase();
            boolean split = p.splitNow(phase);
            if (!split) whole++;
            p.timed(phase, split ? splitNanos + (last ? 0 : wakeNanos) : wholeNanos);
            last = split;
        }
        return whole;
    }

    @Test
    void scalarAndVectorKernelsGiveTheSameNetworkOutput() {
        var layers = List.of(TestKans.layer(5, 19, 7, 3, BaseFunction.IDENTITY, 3), TestKans.layer(19, 4, 7, 2, BaseFunction.IDENTITY, 4));
        try (KanModel v = new KanModel(layers, "t", null, SplineKernels.best());
             KanModel s = new KanModel(layers, "t", null, SplineKernels.scalar())) {
            float[][] x = inputs(50, 5, 1);
            assertArrayEquals(s.predict(x), v.predict(x));
        }
    }

    @Test
    void narrowLayersInVectorLanesGiveTheSameFloatsAsOneSampleAtATime() {
        // Uniform cubic grids, outputs <= 8: the bases in vector lanes across the batch. Inputs on the
        // knots themselves, beyond the grid and non-finite must come out as the per-sample path has them.
        float[][] x = inputs(600, 3, 21);
        for (int r = 0; r < x.length; r += 5) x[r][r % 3] = -1f + 0.4f * (r % 9 - 2);     // knots of G = 5 (and beyond)
        for (BaseFunction base : BaseFunction.values()) {
            var layers = List.of(TestKans.layer(3, 6, 5, 3, base, 31), TestKans.layer(6, 2, 5, 3, base, 32));
            float[][] perSample, lanes;
            System.setProperty("panamax.kan.path", "local");
            try {
                System.setProperty("panamax.kan.bases", "sample");
                try (KanModel m = new KanModel(layers, "t", null)) { perSample = m.predict(x); }
                System.setProperty("panamax.kan.bases", "batch");
                try (KanModel m = new KanModel(layers, "t", null)) {
                    lanes = m.predict(x);
                    for (int r = 0; r < x.length; r += 23) assertArrayEquals(lanes[r], m.predict(new float[][] {x[r]})[0], base + " row " + r + " alone");
                    assertMatchesReference(m, java.util.Arrays.copyOf(x, 120), base + " lanes");
                }
                for (int r = 0; r < x.length; r++) assertArrayEquals(perSample[r], lanes[r], base + " row " + r + " " + java.util.Arrays.toString(x[r]));
                if (base == BaseFunction.IDENTITY)      // the scalar twin of the lane kernel, through a whole network
                    try (KanModel s = new KanModel(layers, "t", null, SplineKernels.scalar())) { assertArrayEquals(lanes, s.predict(x)); }
            } finally {
                System.clearProperty("panamax.kan.path");
                System.clearProperty("panamax.kan.bases");
            }
        }
    }

    @Test
    void everyLocalPathSumsTheInputsInTheSameBlockOrder() {
        // SplineKernels' block order (a chain per quarter of the inputs, the four added at the end)
        // keeps a row's floats independent of its batch: batch 1 (split or not), a small batch's
        // tiled loop and the lanes path must all follow it, bit for bit. One chain over all the
        // inputs would change the last bits of most outputs here. Finite inputs (a non-finite one
        // sends its row to the exact reference), some on knots and beyond the grid.
        SplittableRandom rnd = new SplittableRandom(71);
        float[][] x = new float[300][150];
        for (float[] row : x)
            for (int i = 0; i < row.length; i++)
                row[i] = rnd.nextInt(10) == 0 ? -1f + 0.4f * (rnd.nextInt(11) - 3) : (float) rnd.nextDouble(-1.2, 1.2);
        int wide = 64 * KernelProvider.pool().threads() + 3;       // batch 1 and batch 7 split this layer's outputs
        var narrow = List.of(TestKans.layer(150, 6, 5, 3, BaseFunction.SILU, 72), TestKans.layer(6, 5, 5, 3, BaseFunction.IDENTITY, 73));
        var split = List.of(TestKans.layer(150, wide, 5, 3, BaseFunction.SILU, 74), TestKans.layer(wide, 3, 5, 3, BaseFunction.SILU, 75));
        System.setProperty("panamax.kan.path", "local");           // no timing of the paths: this test is about floats
        try {
            for (var layers : List.of(narrow, split))
                try (KanModel m = new KanModel(layers, "t", null)) {
                    String model = layers.getFirst().out() + " wide";
                    float[][] seven = Arrays.copyOf(x, 7);
                    for (LayerPlan p : m.plans()) p.batchBases = false;
                    float[][] tiled = m.predict(seven);
                    for (LayerPlan p : m.plans()) p.oneByOne = 1;
                    float[][] oneByOne = m.predict(seven);
                    for (LayerPlan p : m.plans()) { p.oneByOne = -1; p.batchBases = true; }     // every layer here is uniform cubic: all take the lanes
                    float[][] lanes = m.predict(seven), large = m.predict(x);
                    for (int r = 0; r < seven.length; r++) {
                        for (LayerPlan p : m.plans()) p.sampleSplit = 1;
                        float[] whole = m.predict(new float[][] {x[r]})[0];
                        for (LayerPlan p : m.plans()) p.sampleSplit = -1;
                        String row = model + ", row " + r;
                        assertArrayEquals(whole, m.predict(new float[][] {x[r]})[0], row + ": batch 1 split against unsplit");
                        assertArrayEquals(whole, tiled[r], row + ": batch 7's tiled loop against batch 1");
                        assertArrayEquals(whole, oneByOne[r], row + ": batch 7 one by one against batch 1");
                        assertArrayEquals(whole, lanes[r], row + ": batch 7's lanes against batch 1");
                        assertArrayEquals(whole, large[r], row + ": batch 300 against batch 1");
                        for (float v : whole) assertTrue(Float.isFinite(v), row);
                    }
                    assertMatchesReference(m, Arrays.copyOf(x, 4), model, 1e-4);
                }
        } finally {
            System.clearProperty("panamax.kan.path");
        }
    }

    @Test
    void denseFeaturesInVectorLanesGiveTheSameFloats() {
        float[][] x = inputs(300, 3, 22);
        for (int r = 0; r < x.length; r += 5) x[r][r % 3] = -1f + 0.4f * (r % 9 - 2);     // knots of G = 5 (and beyond)
        var layers = List.of(TestKans.layer(3, 40, 5, 3, BaseFunction.SILU, 41), TestKans.layer(40, 3, 20, 3, BaseFunction.SILU, 42));
        float[][] perSample;
        System.setProperty("panamax.kan.path", "dense");
        try {
            System.setProperty("panamax.kan.bases", "sample");
            try (KanModel m = new KanModel(layers, "t", null)) { perSample = m.predict(x); }
            System.setProperty("panamax.kan.bases", "batch");
            try (KanModel m = new KanModel(layers, "t", null)) {
                assertEquals(List.of("dense", "dense"), m.paths(1));
                float[][] lanes = m.predict(x);
                for (int r = 0; r < x.length; r++) assertArrayEquals(perSample[r], lanes[r], "row " + r + " " + java.util.Arrays.toString(x[r]));
                assertMatchesReference(m, java.util.Arrays.copyOf(x, 60), "dense lanes", 2e-5);
            }
        } finally {
            System.clearProperty("panamax.kan.path");
            System.clearProperty("panamax.kan.bases");
        }
    }

    /** Finite inputs on and beyond the grid [-1, 1], so that every row takes the path under test. */
    static float[][] finiteInputs(int rows, int width, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[][] x = new float[rows][width];
        for (float[] row : x) for (int i = 0; i < width; i++) row[i] = (float) rnd.nextDouble(-1.3, 1.3);
        return x;
    }

    @Test
    void theDensePathThroughOneDnnInPlaceAgreesWithTheLocalPath() {
        assertTrue(dev.panamax.kernel.Gemm.dnnlAvailable(), "oneDNN should load from the bytedeco jars in tests");
        // 64 -> 96 on a shared uniform grid, 96 -> 24 on non-uniform grids: [base | 8 bases] · w
        // is 576 and 864 deep, products oneDNN takes, reading the native weights in place.
        var layers = List.of(TestKans.layer(64, 96, 5, 3, BaseFunction.SILU, 61), TestKans.layer(96, 24, 5, 3, BaseFunction.SILU, 62, true));
        float[][] x = finiteInputs(700, 64, 23);
        System.setProperty("panamax.kan.path", "local");
        float[][] local700, local200;
        try (KanModel m = new KanModel(layers, "t", null)) {
            local700 = m.predict(x);
            local200 = m.predict(Arrays.copyOf(x, 200));
        } finally {
            System.clearProperty("panamax.kan.path");
        }
        System.setProperty("panamax.kan.path", "dense");
        try (KanModel m = new KanModel(layers, "t", null)) {
            for (LayerPlan p : m.plans()) assertNotNull(p.denseWeights(), "the dense path should run through oneDNN in place");
            // 700 rows: split across the pool by KanModel.forward, tiles on each thread alone (the last
            // one ragged); 200: shared out by the dense path itself, its threshold lowered
            float[][] dense700 = m.predict(x), dense200;
            long splitFrom = LayerPlan.denseSplitFrom;
            LayerPlan.denseSplitFrom = 0;
            try {
                dense200 = m.predict(Arrays.copyOf(x, 200));
            } finally {
                LayerPlan.denseSplitFrom = splitFrom;
            }
            for (int r = 0; r < x.length; r++)
                for (int c = 0; c < 24; c++) {
                    float e = local700[r][c];
                    assertEquals(e, dense700[r][c], Math.max(2e-5 * Math.abs(e), 1e-4), "row " + r + " col " + c + " of 700");
                    if (r < 200) assertEquals(local200[r][c], dense200[r][c], Math.max(2e-5 * Math.abs(e), 1e-4), "row " + r + " col " + c + " of 200");
                }
            assertMatchesReference(m, Arrays.copyOf(x, 40), "dense through oneDNN", 1e-4);
        } finally {
            System.clearProperty("panamax.kan.path");
        }
    }

    @Test
    void closingTheModelFreesItsNativeWeightsAndRefusesCalls() {
        assertTrue(dev.panamax.kernel.Gemm.dnnlAvailable());
        KanModel m = TestKans.model(5, 3, 8, 16, 4);
        float[][] x = finiteInputs(3, 8, 4);
        m.predict(x);
        List<MemorySegment> weights = m.plans().stream().map(LayerPlan::denseWeights).toList();
        for (MemorySegment w : weights) assertTrue(w.scope().isAlive());
        m.close();
        for (MemorySegment w : weights) assertFalse(w.scope().isAlive(), "close() should free the dense weights");
        var e = assertThrows(IllegalStateException.class, () -> m.predict(x));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        m.close();      // twice: nothing more to do
    }

    @Test
    void memorySegmentBatchesAndWrongWidths() {
        try (KanModel m = TestKans.model(5, 3, 2, 3, 2); Arena arena = Arena.ofConfined()) {
            float[][] x = {{0.1f, 0.2f}, {-0.5f, 0.7f}, {0.9f, -0.9f}};
            float[][] y = m.predict(x);
            MemorySegment in = arena.allocate(4L * 6), out = arena.allocate(4L * 6);
            for (int r = 0; r < 3; r++) for (int i = 0; i < 2; i++) in.setAtIndex(ValueLayout.JAVA_FLOAT, r * 2 + i, x[r][i]);
            m.predict(in, out, 3);
            for (int r = 0; r < 3; r++) for (int j = 0; j < 2; j++) assertEquals(y[r][j], out.getAtIndex(ValueLayout.JAVA_FLOAT, r * 2 + j));
            var e = assertThrows(IllegalArgumentException.class, () -> m.predict(new float[][] {{1f, 2f, 3f}}));
            assertTrue(e.getMessage().contains("has 3 values, the model takes 2"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.predict(in, out, 4));
            m.close();
            assertThrows(IllegalStateException.class, () -> m.predict(x));
        }
    }

    @Test
    void efficientKanSemanticsLetNonFiniteInputsGiveNaN() {
        KanLayer p = TestKans.layer(2, 2, 5, 3, BaseFunction.SILU, 2);
        KanLayer e = new KanLayer(2, 2, 3, p.knots(), BaseFunction.SILU, false, p.mask(), p.scaleBase(), p.scaleSp(), p.coef(),
                null, null, null, p.subScale(), p.subBias(), 2, new int[0], p.nodeScale(), p.nodeBias());
        try (KanModel pm = new KanModel(List.of(p), "t", null); KanModel em = new KanModel(List.of(e), "t", null)) {
            float[][] x = {{Float.POSITIVE_INFINITY, 0.5f}};
            float[] yp = pm.predict(x)[0], ye = em.predict(x)[0];
            // pykan: silu(+inf) = +inf through the base weight, zero spline bases
            for (int j = 0; j < 2; j++) assertEquals(p.scaleBase()[j] > 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY, yp[j]);
            for (float v : ye) assertTrue(Float.isNaN(v));
        }
    }
}
