/**
 * Traffic schedules and weight math, shared by the stack config, the release CLI and
 * the tests. Percentages are whole numbers end to end; only at the AWS boundary are they
 * written as decimal weights (0.0–1.0), and read back by rounding to the nearest percent.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html
 */

/**
 * What a schedule is planned from: the stack's release settings (release/inputs/settings.ts
 * `ReleaseSettings`, validated there) satisfy this; the weight math needs no more of them.
 */
export interface ScheduleSettings {
  readonly strategy: "all-at-once" | "canary" | "linear" | "custom";
  readonly canaryPercent: number;
  readonly linearStepPercent: number;
  readonly stepBakeSeconds: number;
  readonly finalBakeSeconds: number;
  readonly steps?: readonly { readonly percent: number; readonly bakeSeconds: number }[];
}

export interface Step {
  /** Share of traffic on the new version, 1–100. */
  readonly percent: number;
  /** How long to hold this step while watching health, in seconds. */
  readonly bakeSeconds: number;
}

/** The steps a release walks through; always increasing and always ending at 100. */
export function planSchedule(settings: ScheduleSettings): Step[] {
  const final: Step = { percent: 100, bakeSeconds: settings.finalBakeSeconds };
  switch (settings.strategy) {
    case "all-at-once":
      return [final];
    case "canary":
      return [{ percent: settings.canaryPercent, bakeSeconds: settings.stepBakeSeconds }, final];
    case "linear": {
      const steps: Step[] = [];
      for (let p = settings.linearStepPercent; p < 100; p += settings.linearStepPercent) {
        steps.push({ percent: p, bakeSeconds: settings.stepBakeSeconds });
      }
      return [...steps, final];
    }
    case "custom":
      return [...(settings.steps ?? []).map((s) => ({ percent: s.percent, bakeSeconds: s.bakeSeconds })), final];
  }
}

/** Total bake time of a schedule, in seconds (the least a release can take). */
export function scheduleSeconds(steps: readonly Step[]): number {
  return steps.reduce((sum, s) => sum + s.bakeSeconds, 0);
}

/** AWS alias routing weight (0.0–1.0 exclusive) for a whole partial percentage 1–99. */
export function toAwsWeight(percent: number): number {
  if (!Number.isInteger(percent) || percent < 1 || percent > 99) {
    throw new RangeError(`percent = ${percent}: an alias routing weight is a whole percentage between 1 and 99; 0 and 100 mean no routing config at all.`);
  }
  // Integer / 100 gives the closest double to the decimal (0.1, 0.25 …), which is what AWS parses.
  return percent / 100;
}

/** Whole percentage for a weight read back from AWS, rejecting anything outside 0–1. */
export function fromAwsWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight < 0 || weight > 1) {
    throw new RangeError(`AdditionalVersionWeights value ${weight}: AWS weights are between 0.0 and 1.0.`);
  }
  return Math.round(weight * 100);
}
