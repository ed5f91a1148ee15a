/**
 * Settings of the evidence-based decision rule (release/judge/decision/rule.ts), as a zod schema so
 * they can become stack settings (`shiftline:release` → health → decision) with one definition.
 * Every field is optional; the defaults and why they were chosen are stated on each.
 */
import { z } from "zod";

const probability = (what: string, max: number) =>
  z
    .number({ error: `${what} must be a probability, a number between 0 and ${max} (exclusive).` })
    .gt(0, { error: `${what} must be above 0: a test that may never err can never decide.` })
    .lt(max, { error: `${what} must be below ${max}.` });

const nonNegative = (what: string, max: number) =>
  z
    .number({ error: `${what} must be a number between 0 and ${max}.` })
    .min(0, { error: `${what} cannot be negative.` })
    .max(max, { error: `${what} must be at most ${max}.` });

const wholeCount = (what: string) =>
  z
    .number({ error: `${what} must be a whole number of requests.` })
    .int({ error: `${what} must be a whole number of requests.` })
    .min(0, { error: `${what} cannot be negative.` })
    .max(1e9, { error: `${what} must be at most 1e9.` });

export const decisionSchema = z
  .object({
    /**
     * Chance of rolling back a release that is no worse than the tolerances allow, over every
     * look at one window and every signal together (split evenly between the signals judged).
     * Defaults to 0.01: the targets ask that ≥ 99% of good releases (W4, W6, W9) are promoted.
     */
    alpha: probability("alpha", 0.5).default(0.01),
    /**
     * Chance of calling a release healthy when its failure rate (or slow share) is at or above
     * the allowance plus `healthMarginPercent`. Defaults to 0.01: at most 1% of bad releases promoted.
     */
    beta: probability("beta", 0.5).default(0.01),
    /**
     * How much more often than the previous version the target may fail before that is harm:
     * harm is "target rate > previous rate × (1 + relativeTolerance)". Defaults to 0.5 (1.5×),
     * which keeps a target exactly as bad as a failing previous version (W9) far from the
     * boundary, while a clean previous version makes almost any target failure evidence (W1).
     */
    relativeTolerance: nonNegative("relativeTolerance", 100).default(0.5),
    /**
     * Health needs evidence that the target's rate is below its allowance (previous rate ×
     * (1 + relativeTolerance), or `fallbackErrorRatePercent`) plus this many percentage points.
     * Defaults to 5: with no failures, about 130 target requests show it (at beta 0.01); a
     * 2-point margin would need about 330, longer than a 10% canary at 10 rps bakes.
     */
    healthMarginPercent: nonNegative("healthMarginPercent", 100).default(5),
    /**
     * The error rate judged against when the previous version has too little traffic to compare
     * with (fewer than `minBaselineRequests`): harm is "target rate > this". Defaults to 1,
     * today's `maxErrorRatePercent`.
     */
    fallbackErrorRatePercent: nonNegative("fallbackErrorRatePercent", 100).default(1),
    /**
     * The previous version is a baseline only with at least this many requests (window plus
     * pre-release window); below it the rule falls back to the fixed rates and says so.
     * Defaults to 100: a rate from fewer requests is too rough to scale a tolerance by.
     */
    minBaselineRequests: wholeCount("minBaselineRequests").default(100),
    /**
     * The target is called healthy only after this many requests, whatever the tests say.
     * Defaults to 30; the health test itself usually needs more (about 130 at the defaults).
     */
    minTargetRequests: wholeCount("minTargetRequests").default(30),
    /**
     * The latency threshold is the previous version's p(latencyQuantile), so without a
     * regression a share (100 − latencyQuantile)% of target requests is slower. Used when the
     * previous version's own count of slow requests is not given. Defaults to 99.
     */
    latencyQuantile: z
      .number({ error: "latencyQuantile must be a percentile between 50 and 99.99." })
      .min(50, { error: "latencyQuantile must be at least 50." })
      .max(99.99, { error: "latencyQuantile must be at most 99.99." })
      .default(99),
    /**
     * Harm for latency is "share of target requests slower than the threshold > the previous
     * version's share × (1 + latencyTolerance)". Defaults to 1 (twice as many slow requests):
     * p99 measured by CloudWatch from a few hundred requests moves by tens of percent on its own.
     */
    latencyTolerance: nonNegative("latencyTolerance", 100).default(1),
    /**
     * Only percentiles known (no slow-request counts): harm when the target's p99 exceeds the
     * previous version's by more than this factor minus 1. Defaults to 1 (p99 doubled). A
     * coarse fallback, not a sequential test: see `minPercentileRequests`.
     */
    percentileTolerance: nonNegative("percentileTolerance", 100).default(1),
    /**
     * Percentiles are compared only when both versions have this many timed requests. Defaults
     * to 500: five requests above p99, the fewest that make a p99 more than one outlier.
     */
    minPercentileRequests: wholeCount("minPercentileRequests").default(500),
    /**
     * At the evidence deadline with no decision, promote instead of rolling back. Defaults to
     * false: a release that could not show health is not promoted unless the stack says so.
     */
    promoteWithoutEvidence: z.boolean({ error: "promoteWithoutEvidence must be true or false." }).default(false),
  })
  .strict();

export type DecisionSettingsInput = z.input<typeof decisionSchema>;
export type DecisionSettings = z.output<typeof decisionSchema>;

/** The settings with every default applied. */
export const defaultDecisionSettings = (): DecisionSettings => decisionSchema.parse({});
