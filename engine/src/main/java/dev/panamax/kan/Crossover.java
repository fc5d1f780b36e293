package dev.panamax.kan;

import dev.panamax.kernel.KernelProvider;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Sets up, per layer at load, how the calls will choose their path. Dense against local is chosen
 * as the model runs, from 64 rows, by the calls' own times ({@link LayerPlan#timeDense}: a
 * {@link TimedChoice} per power of two of the batch), starting for a whole period with the dense
 * path where oneDNN multiplies in place and the dense path does at most {@link #DENSE_FIRST} times
 * the local path's arithmetic, else with the local path; the scalar kernels and tiny layers never
 * take the dense path. Whether a wide layer's small batches split their outputs across the pool is
 * timed per model here. {@code -Dpanamax.kan.path=local|dense} forces one path at every batch size
 * (tests use it to cover both paths), skips the timing of the split, and sends small batches
 * through the tiled loop rather than as their times say ({@link LayerPlan#oneByOne}). Narrow layers
 * on uniform cubic grids run the local path with the bases computed in vector lanes across the
 * batch, and every uniform cubic layer builds its dense path's features so
 * ({@code -Dpanamax.kan.bases=batch|sample} forces one way for every layer).
 */
final class Crossover {
    private Crossover() {}

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
            switch (forced) {
                case "local" -> p.denseMode = -1;
                case "dense" -> p.denseMode = 1;
                default -> {
                    if (timed(p)) p.timeDense(denseFirst(p));
                    else p.denseMode = -1;
                }
            }
            // Small batches: the tiled loop when a path is forced (tests cover it so) and on tiny layers,
            // where timing the calls costs more than it can gain ([2,5,1] at batch 8-16: 4-14% for
            // the clock alone, against the loop 3-6x faster than one by one); else as their times say.
            p.oneByOne = forced.equals("auto") && worthTiming(p) ? 0 : -1;
            if (!forced.equals("auto")) continue;
            p.splitOutputs = true;
            if (p.splittable(SPLIT_ROWS)) p.splitOutputs = splitPays(p);
        }
    }

    /** Edges (in·out) from which a layer's paths are worth timing. */
    static final int TIMED_FROM = 1024;

    /**
     * Whether the calls time this layer's paths: not on the scalar kernels (their GEMM never beats
     * the local kernels: such a layer runs local) nor on tiny layers ([2,5,1]), where timing a call
     * costs more than a choice can gain.
     */
    static boolean timed(LayerPlan p) {
        return !KernelProvider.kernels().name().equals("scalar") && worthTiming(p);
    }

    /** Layers of {@link #TIMED_FROM} edges or more, whose calls may time their ways (dense or local, one by one or the loop). */
    private static boolean worthTiming(LayerPlan p) { return (long) p.layer.in() * p.layer.out() >= TIMED_FROM; }

    /**
     * Dense multiply-adds per local one ({@link LayerPlan#denseMacs} / {@link LayerPlan#localMacs})
     * up to which a layer whose dense path runs through oneDNN in place starts with it, before its
     * calls have timed the two. [64,256,256,10] G=5 (1.8 per local one) ran every layer dense in
     * half the time of every layer local (interleaved at batch 4096, load 2.2: 42 ms against 78);
     * G=20 (4.8 per local one) was about even (all dense 1.03-1.14x the time of all local) and
     * starts local. A choice made at load, by timing both paths there, was tried and dropped: the
     * code is cold at load (the first layer of [64,256,256,10] G=5 timed 32-87 ms dense against
     * 3-5 ms local at batch 512, warm the other way round), so it kept the wrong path for good.
     */
    static final double DENSE_FIRST = 2.0;

    static boolean denseFirst(LayerPlan p) {
        return p.denseInPlace() && p.denseMacs() <= DENSE_FIRST * p.localMacs();
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
