/**
 * Health of a release at one moment, judged: alarms, the target version's own error rate next
 * to the previous version's, and throttles on the alias. Pure, so the rules are tested with
 * tables; the figures are gathered by release/evidence/lambda-metrics.ts.
 */
import { THROTTLE_CONFIDENCE, throttlesAtUsualRate, type ThrottleBaseline } from "./throttle-baseline";

/**
 * The limits health is judged by: the stack's `shiftline:release` → health settings
 * (release/inputs/settings.ts `HealthSettings`) satisfy this, and judging needs no more of them.
 */
export interface HealthLimits {
  /** Invocations a version needs before its error rate is judged. */
  readonly minInvocations: number;
  /** Percentage points the target's error rate may exceed the previous version's by. */
  readonly maxErrorRatePercent: number;
  /** Throttled invocations on the alias tolerated on top of its pre-release rate. */
  readonly maxThrottles: number;
}

export interface VersionFigures {
  readonly invocations: number;
  readonly errors: number;
}

export interface HealthSample {
  /** Alarm name → state, for every configured alarm found. */
  readonly alarms: Readonly<Record<string, string>>;
  readonly target: VersionFigures;
  readonly previous: VersionFigures;
  readonly throttles: number;
  /** Whole 1-minute periods `throttles` was summed over (CloudWatch rounds StartTime down to the minute). */
  readonly throttleMinutes?: number;
  /** The alias's throttles in the whole minutes before the release; absent when unknown. */
  readonly throttleBaseline?: ThrottleBaseline;
  /** Set when CloudWatch could not compute the metrics: the figures above are then not judged. */
  readonly metricsUnavailable?: string;
}

export interface HealthVerdict {
  readonly healthy: boolean;
  /** Why it is unhealthy; empty when healthy. */
  readonly reasons: readonly string[];
  /** Figures worth showing either way (error rates, ignored alarms, too little data). */
  readonly notes: readonly string[];
  /** Target error rate in percent, when there were enough invocations to judge. */
  readonly targetErrorRate?: number;
  readonly previousErrorRate?: number;
  /** Alarms in ALARM that were not already firing when the release began. */
  readonly newAlarms: readonly string[];
  /** Why the alias's throttles are too many, when they are. */
  readonly throttleReason?: string;
}

export interface JudgeOptions {
  /**
   * Judge the fixed-count error-rate rule on Lambda's metrics. Defaults to true; false when the
   * decision rule (release/judge/decision) judges the versions on the function's own metrics instead.
   */
  readonly errorRates?: boolean;
}

const rate = (v: VersionFigures, min: number): number | undefined => (v.invocations >= min ? (100 * v.errors) / v.invocations : undefined);
const pct = (n: number) => `${Number(n.toFixed(2))}%`;

/**
 * Judges one sample.
 *
 * Alarms already in ALARM when the release began (`preexisting`) do not roll it back: they
 * fire because of the version being replaced, and letting them block would make a fix
 * impossible to ship (a common CodeDeploy complaint). Those are judged through the version
 * metrics instead: the target may not exceed the previous version's error rate by more than
 * `maxErrorRatePercent` points, so a target that is merely as bad as (or better than) a
 * failing old version is not blamed for it.
 */
export function judgeHealth(sample: HealthSample, settings: HealthLimits, preexisting: ReadonlySet<string>, options: JudgeOptions = {}): HealthVerdict {
  const reasons: string[] = [];
  const notes: string[] = [];
  const newAlarms: string[] = [];
  for (const [name, state] of Object.entries(sample.alarms)) {
    if (state !== "ALARM") continue;
    if (preexisting.has(name)) notes.push(`alarm ${name} was already in ALARM before the release; judged by error rates instead`);
    else {
      reasons.push(`alarm ${name} is in ALARM`);
      newAlarms.push(name);
    }
  }
  if (sample.metricsUnavailable !== undefined) {
    notes.push(`metrics not judged: CloudWatch could not compute them (${sample.metricsUnavailable})`);
    return { healthy: reasons.length === 0, reasons, notes, newAlarms };
  }
  if (options.errorRates === false) {
    const throttleReason = judgeThrottles(sample, settings, notes);
    if (throttleReason !== undefined) reasons.push(throttleReason);
    return { healthy: reasons.length === 0, reasons, notes, newAlarms, throttleReason };
  }
  const targetRate = rate(sample.target, settings.minInvocations);
  const previousRate = rate(sample.previous, settings.minInvocations);
  if (targetRate === undefined) {
    notes.push(`target error rate not judged yet: ${sample.target.invocations} of ${settings.minInvocations} invocations needed`);
  } else {
    const allowed = (previousRate ?? 0) + settings.maxErrorRatePercent;
    const compared = previousRate === undefined ? `threshold ${pct(settings.maxErrorRatePercent)}` : `previous version ${pct(previousRate)} + ${pct(settings.maxErrorRatePercent)}`;
    if (targetRate > allowed) {
      reasons.push(`target error rate ${pct(targetRate)} (${sample.target.errors}/${sample.target.invocations}) is above ${pct(allowed)} (${compared})`);
    } else {
      notes.push(`target error rate ${pct(targetRate)} within ${pct(allowed)} (${compared})`);
    }
  }
  const throttleReason = judgeThrottles(sample, settings, notes);
  if (throttleReason !== undefined) reasons.push(throttleReason);
  return { healthy: reasons.length === 0, reasons, notes, targetErrorRate: targetRate, previousErrorRate: previousRate, newAlarms, throttleReason };
}


/**
 * Throttles happen before any version runs, so they cannot be split by version; what the alias
 * would show at its pre-release rate (with that rate's noise) is tolerated on top of maxThrottles,
 * so existing throttling is not blamed on the target. Returns the reason when there are too many.
 */
function judgeThrottles(sample: HealthSample, settings: HealthLimits, notes: string[]): string | undefined {
  const base = sample.throttleBaseline;
  const usual = throttlesAtUsualRate(base, sample.throttleMinutes ?? 0);
  const allowedThrottles = settings.maxThrottles + usual;
  const why =
    usual > 0 && base !== undefined
      ? `maxThrottles ${settings.maxThrottles} + ${usual}, the most ${sample.throttleMinutes ?? 0} whole minutes show at the alias's pre-release rate of ${base.throttles} in ${base.minutes} minutes (${THROTTLE_CONFIDENCE * 100}% bound)`
      : `maxThrottles ${settings.maxThrottles}`;
  if (sample.throttles > allowedThrottles) return `${sample.throttles} throttled invocations on the alias (at most ${allowedThrottles} tolerated: ${why})`;
  if (sample.throttles > 0) notes.push(`${sample.throttles} throttled invocations on the alias, within ${allowedThrottles} tolerated (${why})`);
  return undefined;
}
