package dev.panamax.kan;

/**
 * A choice between two ways of making the same call, kept by the calls' own times: each period
 * of calls begins with {@link #WINDOW} calls the other way, then WINDOW the chosen way, and the
 * other way is chosen from then on when its total, stalls included, is 10% lower. (Batch 1 split
 * or not, and small batches one by one or not, give the same floats either way; the dense and
 * the local path differ in the last bits, see {@link LayerPlan}.) Each window first runs {@link #SETTLE} calls untimed: the first calls
 * after a change of way pay for the change (a parked worker to wake, weights of another layout to
 * bring back from L3 or memory), and counted, that cost kept a slower way chosen. Each trial that
 * fails doubles the period, from {@link #MIN_PERIOD} calls up to the cap the chosen way has, so
 * a machine whose best way does not change pays for ever rarer trials; a change of way starts
 * again at MIN_PERIOD. Times from the start, while the JIT has compiled one way and not the
 * other, cost a period of the slower way at most: the next trial compares them compiled.
 *
 * <p>Updated without a lock by whichever threads call: a lost update only delays the choice.
 */
final class TimedChoice {
    static final int WINDOW = 16, SETTLE = 2, MIN_PERIOD = 512;

    private final int capTrue, capFalse, confirm;
    private volatile boolean chosen;
    private int phase, period = MIN_PERIOD;
    private int wins;       // trials in a row that the other way has won
    private long trialNanos, chosenNanos;

    /** Starts with {@code first}; periods grow up to {@code capTrue} calls while true is chosen, {@code capFalse} while false. */
    TimedChoice(boolean first, int capTrue, int capFalse) {
        this(first, capTrue, capFalse, false);
    }

    /**
     * {@link #TimedChoice(boolean, int, int)}; {@code trustFirst}: the first period runs {@code first}
     * throughout, its trial window skipped, for a first way that a rule picked and that the first
     * calls should not be taken from (the first trial then comes {@link #MIN_PERIOD} calls later,
     * the JIT having compiled the first way's code at least).
     */
    TimedChoice(boolean first, int capTrue, int capFalse, boolean trustFirst) {
        this(first, capTrue, capFalse, trustFirst, 1);
    }

    /**
     * {@link #TimedChoice(boolean, int, int, boolean)}; {@code confirm}: the other way is chosen only
     * after it has won this many trials in a row (1: the first it wins). After a won trial that does
     * not yet change the way, the next trial comes {@link #MIN_PERIOD} calls later.
     */
    TimedChoice(boolean first, int capTrue, int capFalse, boolean trustFirst, int confirm) {
        if (confirm < 1) throw new IllegalArgumentException("confirm must be >= 1, is " + confirm);
        this.chosen = first;
        this.capTrue = capTrue;
        this.capFalse = capFalse;
        this.confirm = confirm;
        if (trustFirst) phase = 2 * (SETTLE + WINDOW);
    }

    /** The next call's phase in its period, for {@link #now} and {@link #timed}. */
    int nextPhase() {
        int p = phase;
        phase = p + 1 >= period ? 0 : p + 1;
        return p;
    }

    /** The way the call at this phase takes: the other way in the trial window that opens each period. */
    boolean now(int phase) { return (phase < SETTLE + WINDOW) != chosen; }

    /** Whether the call at this phase is in the trial window (and then takes the way not chosen). */
    boolean trial(int phase) { return phase < SETTLE + WINDOW; }

    /**
     * Whether {@link #timed} uses the time of the call at this phase: the windows' calls after
     * their settling ones, 32 of every period of 512 calls or more. The others need not read the
     * clock: batch 1 of [64,256,256,10] G=5 read it four times a call, and reading it for these calls alone
     * took 0.992-0.993 of the time (interleaved in one JVM, 600 rounds of 5 ms, 3 processes, load
     * 0.8-1.4; median 12.5-13.3 us a sample against 12.6-13.9).
     */
    boolean counts(int phase) {
        int trialEnd = SETTLE + WINDOW;
        return phase >= SETTLE && phase < trialEnd || phase >= trialEnd + SETTLE && phase < 2 * trialEnd;
    }

    /** The time of the call at this phase (any unit, the same for both ways). */
    void timed(int phase, long time) {
        if (!counts(phase)) return;
        int trialEnd = SETTLE + WINDOW, chosenEnd = 2 * trialEnd;
        if (phase < trialEnd) {
            trialNanos += time;
        } else {
            chosenNanos += time;
            if (phase == chosenEnd - 1) {
                boolean won = trialNanos < 0.9 * chosenNanos;
                wins = won ? wins + 1 : 0;
                if (wins >= confirm) {
                    chosen = !chosen;
                    wins = 0;
                }
                period = won ? MIN_PERIOD : Math.min(2 * period, chosen ? capTrue : capFalse);
                trialNanos = chosenNanos = 0;
            }
        }
    }

    /** The way chosen (outside the trial windows). */
    boolean chosen() { return chosen; }

    /** The current period's length in calls. */
    int period() { return period; }
}
