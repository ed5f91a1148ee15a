/**
 * Release settings: how the release step moves an alias's traffic to a new version.
 * Stack config (`shiftline:release`) is validated with this schema, exported as a stack
 * output, and read back by the release CLI, so both sides agree on one definition.
 */
import { z } from "zod";

export const STRATEGIES = ["all-at-once", "canary", "linear", "custom"] as const;
export type Strategy = (typeof STRATEGIES)[number];

const partialPercent = (what: string) =>
  z
    .number({ error: `${what} must be a whole percentage of traffic between 1 and 99.` })
    .int({ error: `${what} must be a whole percentage between 1 and 99 (weights are exact integers; no fractions).` })
    .min(1, { error: `${what} must be at least 1 (a 0% step moves no traffic).` })
    .max(99, { error: `${what} must be at most 99; the 100% step is always added last by the release step.` });

const seconds = (what: string, max = 86_400) =>
  z
    .number({ error: `${what} must be a number of seconds.` })
    .int({ error: `${what} must be a whole number of seconds.` })
    .min(0, { error: `${what} cannot be negative.` })
    .max(max, { error: `${what} must be at most ${max} seconds.` });

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
      .min(0, { error: "maxErrorRatePercent must be between 0 and 100." })
      .max(100, { error: "maxErrorRatePercent must be between 0 and 100." })
      .default(1),
    /** The new version's error rate is judged only after this many invocations. Defaults to 20. */
    minInvocations: z
      .number({ error: "minInvocations must be a whole number." })
      .int({ error: "minInvocations must be a whole number." })
      .min(1, { error: "minInvocations must be at least 1." })
      .default(20),
    /** Throttles on the alias tolerated during the release (counted from the first shift) before rolling back. Defaults to 0. */
    maxThrottles: z
      .number({ error: "maxThrottles must be a whole number." })
      .int({ error: "maxThrottles must be a whole number." })
      .min(0, { error: "maxThrottles cannot be negative." })
      .default(0),
    /** CloudWatch publishes Lambda metrics with a delay; checks look this far back past now. Defaults to 60. */
    metricDelaySeconds: seconds("metricDelaySeconds", 900).default(60),
    /** How often health is checked during a bake. Defaults to 30. */
    checkIntervalSeconds: seconds("checkIntervalSeconds", 3600)
      .refine((v) => v >= 5, { error: "checkIntervalSeconds must be at least 5 (CloudWatch metrics have 1-minute resolution)." })
      .default(30),
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
    steps: z.array(stepSchema).max(99, { error: "steps may have at most 99 entries." }).optional(),
    /** Bake after reaching 100%, before the alias is promoted. Defaults to 0. */
    finalBakeSeconds: seconds("finalBakeSeconds").default(0),
    /** Run smoke invocations against the new version before it gets traffic. Defaults to true. */
    smoke: z.boolean({ error: "smoke must be true or false." }).default(true),
    /** Health thresholds; each has its own default. */
    health: healthSchema.default(() => healthSchema.parse({})),
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
