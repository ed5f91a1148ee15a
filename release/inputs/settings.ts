/**
 * Release settings: how the release step moves an alias's traffic to a new version.
 * Stack config (`shiftline:release`) is validated with this schema, exported as a stack
 * output, and read back by the release CLI, so both sides agree on one definition.
 */
import { z } from "zod";
import { decisionSchema, defaultDecisionSettings } from "../judge/decision/settings";

export const STRATEGIES = ["all-at-once", "canary", "linear", "custom"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** A closed range of whole numbers (or, for maxErrorRatePercent, decimals); no `max` means unbounded. */
export interface Range {
  readonly min: number;
  readonly max?: number;
  readonly unit?: "seconds" | "milliseconds" | "minutes" | "percent" | "percentage points";
}

/**
 * The limits of every numeric release setting. The schema below enforces them, and the release
 * CLI's --help and the README state them from here (tests/release/cli/cli.test.ts keeps all three in step).
 */
export const RANGES = {
  /** A partial step: 0% moves nothing and 100% is always the last step, added by the release step. */
  percent: { min: 1, max: 99, unit: "percent" },
  bakeSeconds: { min: 0, max: 86_400, unit: "seconds" },
  maxErrorRatePercent: { min: 0, max: 100, unit: "percentage points" },
  minInvocations: { min: 1 },
  maxThrottles: { min: 0 },
  /** CloudWatch publishes Lambda metrics within minutes; 15 minutes is ample. */
  metricDelaySeconds: { min: 0, max: 900, unit: "seconds" },
  /** Lambda's metrics have 1-minute resolution: checking more often than every 5 s learns nothing. */
  checkIntervalSeconds: { min: 5, max: 3600, unit: "seconds" },
  /** A step waits at least a minute for evidence, at most a day. */
  evidenceDeadlineSeconds: { min: 60, max: 86_400, unit: "seconds" },
  /** EMF metrics appear within seconds; five minutes would mean something is broken. */
  evidenceDelaySeconds: { min: 0, max: 300, unit: "seconds" },
  /** CloudWatch keeps 1-minute data for 15 days; a day of history is plenty. */
  preReleaseMinutes: { min: 0, max: 1440, unit: "minutes" },
  /** At most 99 partial steps (1, 2, … 99). */
  steps: { min: 1, max: 99 },
  /** Requests one stage check may send to one stage: enough to reach a 1% step most of the time, few enough to stay far below any stage's throttle. */
  stageCheckMaxRequests: { min: 1, max: 1000 },
  /** How long one stage check may go on for one stage. */
  stageCheckMaxSeconds: { min: 1, max: 600, unit: "seconds" },
  /** API Gateway ends an integration after 29 s by default and answers 504 itself; a client timeout up to 60 s covers a raised limit. */
  stageCheckTimeoutMs: { min: 100, max: 60_000, unit: "milliseconds" },
  /**
   * Pause between two requests of a check. The stage's throttle is shared with users (staging's
   * is 20 rps): at least 100 ms keeps one check at or under 10 rps whatever the latency, where
   * 0 would pace it by latency alone.
   */
  stageCheckIntervalMs: { min: 100, max: 10_000, unit: "milliseconds" },
} as const satisfies Record<string, Range>;

/** e.g. "1-99 percent", "5-3600 seconds", "1 or more". */
export function describeRange(r: Range): string {
  return `${r.max === undefined ? `${r.min} or more` : `${r.min}-${r.max}`}${r.unit !== undefined ? ` ${r.unit}` : ""}`;
}

const partialPercent = (what: string) =>
  z
    .number({ error: `${what} must be a whole percentage of traffic between 1 and 99.` })
    .int({ error: `${what} must be a whole percentage between 1 and 99 (weights are exact integers; no fractions).` })
    .min(RANGES.percent.min, { error: `${what} must be at least 1 (a 0% step moves no traffic).` })
    .max(RANGES.percent.max, { error: `${what} must be at most 99; the 100% step is always added last by the release step.` });

const seconds = (what: string, range: Range = RANGES.bakeSeconds) =>
  z
    .number({ error: `${what} must be a number of seconds.` })
    .int({ error: `${what} must be a whole number of seconds.` })
    .min(range.min, { error: range.min === 0 ? `${what} cannot be negative.` : `${what} must be at least ${range.min} seconds.` })
    .max(range.max ?? Number.MAX_SAFE_INTEGER, { error: `${what} must be at most ${range.max ?? Number.MAX_SAFE_INTEGER} seconds.` });

export const stepSchema = z
  .object({
    /** Share of traffic on the new version during this step, 1–99. */
    percent: partialPercent("percent"),
    /** How long to hold this step while watching health. */
    bakeSeconds: seconds("bakeSeconds"),
  })
  .strict();

export const healthSchema = z
  .object({
    /**
     * How far the new version's error rate may exceed the previous version's (same alias, same
     * window), in percentage points; with no traffic on the previous version it is the absolute
     * limit. Errors the old version already has therefore never block a fix. Defaults to 1.
     */
    maxErrorRatePercent: z
      .number({ error: "maxErrorRatePercent must be a number between 0 and 100." })
      .min(RANGES.maxErrorRatePercent.min, { error: "maxErrorRatePercent must be between 0 and 100." })
      .max(RANGES.maxErrorRatePercent.max, { error: "maxErrorRatePercent must be between 0 and 100." })
      .default(1),
    /** The new version's error rate is judged only after this many invocations. Defaults to 20. */
    minInvocations: z
      .number({ error: "minInvocations must be a whole number." })
      .int({ error: "minInvocations must be a whole number." })
      .min(RANGES.minInvocations.min, { error: "minInvocations must be at least 1." })
      .default(20),
    /** Throttles on the alias tolerated during the release (counted from the first shift) before rolling back. Defaults to 0. */
    maxThrottles: z
      .number({ error: "maxThrottles must be a whole number." })
      .int({ error: "maxThrottles must be a whole number." })
      .min(RANGES.maxThrottles.min, { error: "maxThrottles cannot be negative." })
      .default(0),
    /** CloudWatch publishes Lambda metrics with a delay; checks look this far back past now. Defaults to 60. */
    metricDelaySeconds: seconds("metricDelaySeconds", RANGES.metricDelaySeconds).default(60),
    /** How often health is checked during a bake, 5–3600 seconds. Defaults to 30. */
    checkIntervalSeconds: z
      .number({ error: "checkIntervalSeconds must be a number of seconds." })
      .int({ error: "checkIntervalSeconds must be a whole number of seconds." })
      .min(RANGES.checkIntervalSeconds.min, { error: "checkIntervalSeconds must be at least 5 (CloudWatch metrics have 1-minute resolution)." })
      .max(RANGES.checkIntervalSeconds.max, { error: "checkIntervalSeconds must be at most 3600 seconds." })
      .default(30),
    /**
     * The evidence-based decision rule (release/judge/decision): its error rates, tolerances and
     * margins. Used when the stack outputs say where the function's request metrics are;
     * otherwise the fixed-count rule above (maxErrorRatePercent, minInvocations) judges
     * Lambda's own metrics. Each field has its own default.
     */
    decision: decisionSchema.default(() => defaultDecisionSettings()),
    /**
     * How long a step may wait for evidence past its bake, counted from the step's start: a step
     * that has shown neither harm nor health by then rolls back (or advances, with
     * decision.promoteWithoutEvidence). Defaults to 900.
     */
    evidenceDeadlineSeconds: z
      .number({ error: "evidenceDeadlineSeconds must be a whole number of seconds." })
      .int({ error: "evidenceDeadlineSeconds must be a whole number of seconds." })
      .min(RANGES.evidenceDeadlineSeconds.min, { error: "evidenceDeadlineSeconds must be at least 60." })
      .max(RANGES.evidenceDeadlineSeconds.max, { error: "evidenceDeadlineSeconds must be at most 86400 seconds." })
      .default(900),
    /**
     * Without the live stream, how long after an answer the stage check's own requests are
     * taken to be in the function's request metrics, so they are taken out of the counts only
     * then. No step waits for it: the last step waits until the metrics are measured complete
     * (EvidenceGatherer.completeThrough). Defaults to 15.
     */
    evidenceDelaySeconds: z
      .number({ error: "evidenceDelaySeconds must be a whole number of seconds." })
      .int({ error: "evidenceDelaySeconds must be a whole number of seconds." })
      .min(RANGES.evidenceDelaySeconds.min, { error: "evidenceDelaySeconds cannot be negative." })
      .max(RANGES.evidenceDelaySeconds.max, { error: "evidenceDelaySeconds must be at most 300 seconds." })
      .default(15),
    /**
     * Minutes of the previous version's traffic before the release that its rates are measured
     * over (1-minute data; CloudWatch keeps it for 15 days). Defaults to 60.
     */
    /**
     * Judge on the live stream of the function's per-request documents (a CloudWatch Logs Live
     * Tail session on its log group, release/evidence/live-tail/) as well as on its metrics. Needs
     * the stack output requestMetrics.logGroupArn and logs:StartLiveTail on that log group (the
     * deployer role has it); without either, or with false, steps are judged on metrics alone and
     * the report says so. Live Tail is billed per session-minute. Defaults to true.
     */
    liveEvidence: z.boolean({ error: "liveEvidence must be true or false." }).default(true),
    preReleaseMinutes: z
      .number({ error: "preReleaseMinutes must be a whole number of minutes." })
      .int({ error: "preReleaseMinutes must be a whole number of minutes." })
      .min(RANGES.preReleaseMinutes.min, { error: "preReleaseMinutes cannot be negative." })
      .max(RANGES.preReleaseMinutes.max, { error: "preReleaseMinutes must be at most 1440 (a day)." })
      .default(60),
  })
  .strict();

const whole = (what: string, range: Range) => {
  const of = range.unit !== undefined ? ` of ${range.unit}` : "";
  const unit = range.unit !== undefined ? ` ${range.unit}` : "";
  return z
    .number({ error: `${what} must be a whole number${of}.` })
    .int({ error: `${what} must be a whole number${of}.` })
    .min(range.min, { error: `${what} must be at least ${range.min}${unit}.` })
    .max(range.max ?? Number.MAX_SAFE_INTEGER, { error: `${what} must be at most ${range.max ?? Number.MAX_SAFE_INTEGER}${unit}.` });
};

/**
 * The stage check (release/stage-check*.ts): after each shift, and after promotion where no
 * check at 100% came before it, read-only requests through each stage that routes to the alias
 * (its invokeUrl), answered by the versions on the alias.
 */
export const stageCheckSchema = z
  .object({
    /** Send the check's requests at all. Defaults to true. */
    enabled: z.boolean({ error: "stageCheck.enabled must be true or false." }).default(true),
    /**
     * Requests one check may send to one stage. At a partial weight of p the target is not
     * reached in n requests with probability (1-p)^n: 100 requests miss a 10% step about 3 times
     * in 100 000, a 5% step 6 times in 1000. Defaults to 100.
     */
    maxRequests: whole("stageCheck.maxRequests", RANGES.stageCheckMaxRequests).default(100),
    /** How long one check may go on for one stage, counted from its first request. Defaults to 60. */
    maxSeconds: whole("stageCheck.maxSeconds", RANGES.stageCheckMaxSeconds).default(60),
    /** How long one request may take before it counts as unanswered (a failure). Defaults to 10000. */
    timeoutMs: whole("stageCheck.timeoutMs", RANGES.stageCheckTimeoutMs).default(10_000),
    /** Pause between two requests, so a check adds at most about 5 requests per second to the stage. Defaults to 200. */
    intervalMs: whole("stageCheck.intervalMs", RANGES.stageCheckIntervalMs).default(200),
    /**
     * Stages with no public URL (a PRIVATE REST API, callable only from inside a VPC): the check
     * skips them and lists them under skipped. Stage outputs with `endpointType: PRIVATE` are
     * skipped without being named here. Defaults to none.
     */
    privateStages: z.array(z.string({ error: "stageCheck.privateStages must list stage names." }).min(1, { error: "stageCheck.privateStages entries must not be empty." })).default([]),
  })
  .strict();

export const releaseSettingsSchema = z
  .object({
    /** all-at-once (staging default), canary (prod default), linear, or custom. */
    strategy: z.enum(STRATEGIES, { error: `strategy must be one of ${STRATEGIES.join(", ")}.` }).default("all-at-once"),
    /** canary: share of traffic on the new version before going to 100. Defaults to 10. */
    canaryPercent: partialPercent("canaryPercent").default(10),
    /** linear: traffic added per step. Defaults to 10 (10, 20, … 90, then 100). */
    linearStepPercent: partialPercent("linearStepPercent").default(10),
    /** canary/linear: bake time of each partial step. Defaults to 300. */
    stepBakeSeconds: seconds("stepBakeSeconds").default(300),
    /** custom: the partial steps, increasing, each 1–99; the 100% step is added last. */
    steps: z.array(stepSchema).max(RANGES.steps.max, { error: "steps may have at most 99 entries." }).optional(),
    /** Bake after reaching 100%, before the alias is promoted. Defaults to 0. */
    finalBakeSeconds: seconds("finalBakeSeconds").default(0),
    /** Run smoke invocations against the new version before it gets traffic. Defaults to true. */
    smoke: z.boolean({ error: "smoke must be true or false." }).default(true),
    /** Health thresholds; each has its own default. */
    health: healthSchema.default(() => healthSchema.parse({})),
    /** Requests through each stage routing to the alias after each shift (release/stage-check*.ts); each field has its own default. */
    stageCheck: stageCheckSchema.default(() => stageCheckSchema.parse({})),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.strategy === "custom" && (s.steps === undefined || s.steps.length === 0)) {
      ctx.addIssue({ code: "custom", path: ["steps"], input: s.steps, message: "strategy custom needs at least one partial step, e.g. [{percent: 5, bakeSeconds: 300}]." });
    }
    if (s.strategy !== "custom" && s.steps !== undefined) {
      ctx.addIssue({ code: "custom", path: ["steps"], input: s.steps, message: `steps apply only to strategy custom (strategy is ${s.strategy}); remove steps or set strategy: custom.` });
    }
    s.steps?.forEach((step, i) => {
      const prev = s.steps?.[i - 1];
      if (prev !== undefined && step.percent <= prev.percent) {
        ctx.addIssue({
          code: "custom",
          path: ["steps", i, "percent"],
          input: step.percent,
          message: `each step is a percentage of traffic between 1 and 99, in increasing order (the previous step is ${prev.percent}).`,
        });
      }
    });
  });

/** Release settings as written in config: every field optional. */
export type ReleaseSettingsInput = z.input<typeof releaseSettingsSchema>;
/** Release settings with every default applied. */
export type ReleaseSettings = z.output<typeof releaseSettingsSchema>;
export type HealthSettings = ReleaseSettings["health"];
export type StageCheckSettings = ReleaseSettings["stageCheck"];
