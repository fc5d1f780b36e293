package dev.panamax.kan;

import dev.panamax.kernel.KernelProvider;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chooses, per layer, the batch size from which the dense GEMM path beats the local path, by timing
 * both on a synthetic batch once per layer shape per JVM (or, where oneDNN multiplies in place and
 * the dense path does at most {@link #DENSE_UNTIMED} times the local path's arithmetic, from the
 * smallest candidate without timing), and whether a wide layer's small batches
 * split their outputs across the pool (timed per model). {@code -Dpanamax.kan.path=local|dense}
 * forces one path and skips both timings (tests use it to cover both paths), and sends small
 * batches through the tiled loop rather than as their times say ({@link LayerPlan#oneByOne}). Narrow layers on uniform cubic grids run the local
 * path with the bases computed in vector lanes across the batch, and every uniform cubic layer
 * builds its dense path's features so ({@code -Dpanamax.kan.bases=batch|sample} forces one way for
 * every layer).
 */
final class Crossover {
    private Crossover() {}

    private static final int[] CANDIDATES = {64, 512};
    private static final Map<String, Integer> MEASURED = new ConcurrentHashMap<>();

    static void apply(List<LayerPlan> plans) {
        String forced = System.getProperty("panamax.kan.path", "auto");
        if (!forced.equals("auto") && !forced.equals("local") && !forced.equals("dense"))
            throw new IllegalArgumentException("-Dpanamax.kan.path must be local, dense or auto, is " + forced);
        String bases = System.getProperty("panamax.kan.bases", "auto");
        if (!bases.equals("auto") && !bases.equals("batch") && !bases.equals("sample"))
            throw new IllegalArgumentException("-Dpanamax.kan.bases must be batch, sample or auto, is " + bases);
        for (LayerPlan p : plans) {
            p.batchBases = switch (bases) {
                case "batch" -> true;
                case "sample" -> false;
                // A static rule, measured by hand (bench kan, [2,5,1] G=5, batch 4096, interleaved
                // with the MLP in one process): KAN/MLP time ~3.0 per sample, ~1.0-1.4 in lanes.
                default -> p.narrow() && !KernelProvider.kernels().name().equals("scalar");
            };
            // The dense path's feature matrix gets the same floats either way.
            p.denseLanes = switch (bases) {
                case "batch" -> true;
                case "sample" -> false;
                default -> p.uniformCubic() && !KernelProvider.kernels().name().equals("scalar");
            };
            p.denseFrom = switch (forced) {
                case "local" -> Integer.MAX_VALUE;
                case "dense" -> 1;
                default -> measuredOrNever(p);
            };
            // Small batches: the tiled loop when a path is forced (tests cover it so) and on tiny layers,
            // where timing the calls costs more than it can gain ([2,5,1] at batch 8-16: 4-14% for
            // the clock alone, against the loop 3-6x faster than one by one); else as their times say.
            p.oneByOne = forced.equals("auto") && (long) p.layer.in() * p.layer.out() >= TIMED_FROM ? 0 : -1;
            if (!forced.equals("auto")) continue;
            p.splitOutputs = true;
            if (p.splittable(SPLIT_ROWS)) p.splitOutputs = splitPays(p);
        }
    }

    /** Edges (in·out) from which a layer's paths are worth timing. */
    static final int TIMED_FROM = 1024;

    /**
     * Dense multiply-adds per local one ({@link LayerPlan#denseMacs} / {@link LayerPlan#localMacs})
     * up to which a layer whose dense path runs through oneDNN in place takes it from the smallest
     * candidate batch without timing. At load the dense path's code is cold: [64,256,256,10] G=5
     * (1.8 dense multiply-adds per local one) timed its first layer, 64 -> 256, at batch 512 at
     * 32-87 ms dense against 3-5 ms local (the 256 -> 256 layer after it, its code warmer: 7-8 ms
     * dense against 12-14; 40-100 warm-up calls first, 1.1-1.7 s, did not cure it under load 2.5-3),
     * so bench kan ran local layers where every layer dense took half the time (interleaved at
     * batch 4096, load 2.2: 42 ms against 78 ms all local; timed once warm, every layer chose dense
     * from 64 rows). G=20 (4.8 per local one) was about even (all dense 1.03-1.14x the time of all
     * local) and stays timed.
     */
    static final double DENSE_UNTIMED = 2.0;

    private static int measuredOrNever(LayerPlan p) {
        // A scalar GEMM never beats the local kernels, and tiny layers are not worth timing.
        if (KernelProvider.kernels().name().equals("scalar")) return Integer.MAX_VALUE;
        if ((long) p.layer.in() * p.layer.out() < TIMED_FROM) return Integer.MAX_VALUE;
        if (p.denseInPlace() && p.denseMacs() <= DENSE_UNTIMED * p.localMacs()) return CANDIDATES[0];
        KanLayer l = p.layer;
        String key = l.in() + "x" + l.out() + "/" + l.basisCount() + "/" + l.k() + "/" + l.base();
        return MEASURED.computeIfAbsent(key, x -> measure(p));
    }

    /** The batch {@link #splitPays} times: the smallest that {@link LayerPlan#splitOutputs} governs. */
    static final int SPLIT_ROWS = 2;

    /**
     * Whether a small batch runs faster with the outputs split across the pool (not on a busy
     * machine): {@link LayerPlan#splitOutputs}, the rule of the tiled loop from 2 rows (batch 1
     * has a path of its own and chooses as it runs, {@link LayerPlan#splitNow}). The two ways are
     * timed in turns, so a burst of load from elsewhere hits both.
     */
    private static boolean splitPays(LayerPlan p) {
        float[] x = sample(p.layer, SPLIT_ROWS);
        float[] y = new float[SPLIT_ROWS * p.layer.out()];
        Runnable run = () -> { for (int i = 0; i < 20; i++) p.local(x, SPLIT_ROWS, y); };
        long split = Long.MAX_VALUE, whole = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            p.splitOutputs = true;
            split = Math.min(split, best(run));
            p.splitOutputs = false;
            whole = Math.min(whole, best(run));
        }
        return split < whole;
    }

    /** Turns of {@link #measure} at most per batch size, and the turns in a row without a gain that end it. */
    private static final int MAX_TURNS = 10, QUIET_TURNS = 3;

    /**
     * The smaller candidate batch at which the dense path beats the local path, each run as
     * {@link KanModel#forward} runs it (a batch it splits across the pool runs on one thread). The
     * two are timed in turns until neither's best time has improved by 5% for {@link #QUIET_TURNS}
     * turns, {@link #MAX_TURNS} at most. Their first calls run in the interpreter and C1's code,
     * and the JIT may take longer than any timing a load can afford (see {@link #DENSE_UNTIMED}).
     */
    private static int measure(LayerPlan p) {
        int out = p.layer.out();
        for (int batch : CANDIDATES) {
            float[] x = sample(p.layer, batch);
            boolean part = batch >= KanModel.PARALLEL_FROM;
            long local = Long.MAX_VALUE, dense = Long.MAX_VALUE;
            for (int turn = 0, quiet = 0; turn < MAX_TURNS && quiet < QUIET_TURNS; turn++) {
                long l = time(() -> p.local(x, batch, new float[batch * out])), d = time(() -> p.dense(x, batch, new float[batch * out], part));
                quiet = l < 0.95 * local || d < 0.95 * dense ? 0 : quiet + 1;
                local = Math.min(local, l);
                dense = Math.min(dense, d);
            }
            if (dense < local) return batch;
        }
        return Integer.MAX_VALUE;
    }

    private static long time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return System.nanoTime() - t0;
    }

    private static float[] sample(KanLayer l, int batch) {
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = new float[batch * l.in()];
        for (int r = 0; r < batch; r++)
            for (int i = 0; i < l.in(); i++) {
                Knots kn = l.knots()[i];
                float lo = kn.knot(0), hi = kn.knot(kn.knotCount() - 1);
                x[r * l.in() + i] = (float) (lo + (hi - lo) * rnd.nextDouble());
            }
        return x;
    }

    private static long best(Runnable r) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }
}
