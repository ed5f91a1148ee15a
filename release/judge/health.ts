/**
 * Health of a release at one moment: alarms, the target version's own error rate next to
 * the previous version's, and throttles on the alias. Gathering (AWS) and judging (pure) are
 * separate so the rules are tested with tables.
 */
import type { HealthSettings } from "../inputs/settings";
import type { AlarmState, CloudWatchPort, MetricSumQuery } from "../aws/cloudwatch";
import { floorToMinute, THROTTLE_CONFIDENCE, throttlesAtUsualRate, wholeMinutes, type ThrottleBaseline } from "./throttle-baseline";

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
export function judgeHealth(sample: HealthSample, settings: HealthSettings, preexisting: ReadonlySet<string>, options: JudgeOptions = {}): HealthVerdict {
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
function judgeThrottles(sample: HealthSample, settings: HealthSettings, notes: string[]): string | undefined {
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

export interface HealthScope {
  readonly functionName: string;
  readonly alias: string;
  readonly target: string;
  readonly previous: string;
  readonly alarmNames: readonly string[];
}

/** Reads alarms and metrics for one alias; remembers which alarms were firing at the start. */
export class HealthMonitor {
  private readonly preexisting = new Set<string>();
  /** The alias's throttles before the release, from throttleBaseline(). */
  private throttlesBefore?: ThrottleBaseline;

  constructor(
    private readonly cloudwatch: CloudWatchPort,
    private readonly scope: HealthScope,
    private readonly settings: HealthSettings,
  ) {}

  /** Records the alarms already in ALARM; returns configured alarm names that do not exist. */
  async baseline(): Promise<{ missing: string[]; firing: string[] }> {
    const states = await this.alarms();
    for (const a of states) if (a.state === "ALARM") this.preexisting.add(a.name);
    const found = new Set(states.map((a) => a.name));
    return { missing: this.scope.alarmNames.filter((n) => !found.has(n)), firing: [...this.preexisting] };
  }

  /**
   * Measures the alias's throttles over the `minutes` whole minutes before the minute `until` falls
   * in (before any traffic moved), so that a steady pre-existing rate is not blamed on the target.
   * Both ends are whole minutes, so CloudWatch's rounding cannot stretch the span, and the window
   * judged later (from that same minute on) does not overlap it. Unreadable metrics count as none.
   */
  async throttleBaseline(until: Date, minutes: number): Promise<number> {
    const end = floorToMinute(until.getTime());
    const { totals, problems } = await this.cloudwatch.sums(metricQueries(this.scope).filter((q) => q.id === "throttles"), new Date(end - minutes * 60_000), new Date(end));
    this.throttlesBefore = problems.length > 0 ? undefined : { throttles: totals.throttles, minutes };
    return totals.throttles;
  }

  /** `adjust` changes the sample before it is judged (the stage check takes its own invocations out, release/engine/stage-check-run.ts). */
  async check(since: Date, until: Date, options: JudgeOptions = {}, adjust: (sample: HealthSample) => HealthSample = (x) => x): Promise<{ sample: HealthSample; verdict: HealthVerdict }> {
    const states = await this.alarms();
    // An alarm that recovered during the release and fires again is new trouble, not inherited.
    for (const a of states) if (a.state === "OK") this.preexisting.delete(a.name);
    const sample: HealthSample = adjust({
      alarms: Object.fromEntries(states.map((a) => [a.name, a.state])),
      ...(await this.metrics(since, until)),
    });
    return { sample, verdict: judgeHealth(sample, this.settings, this.preexisting, options) };
  }

  private async alarms(): Promise<AlarmState[]> {
    return this.scope.alarmNames.length === 0 ? [] : this.cloudwatch.alarmStates(this.scope.alarmNames);
  }

  private async metrics(since: Date, until: Date): Promise<Omit<HealthSample, "alarms">> {
    const { totals: sums, problems } = await this.cloudwatch.sums(metricQueries(this.scope), since, until);
    return {
      target: { invocations: sums.targetInvocations, errors: sums.targetErrors },
      previous: { invocations: sums.previousInvocations, errors: sums.previousErrors },
      throttles: sums.throttles,
      throttleMinutes: wholeMinutes(since, until),
      throttleBaseline: this.throttlesBefore,
      metricsUnavailable: problems.length > 0 ? problems.join("; ") : undefined,
    };
  }
}

/**
 * Per-version metrics of invocations through an alias carry three dimensions: FunctionName,
 * Resource = "<function>:<alias>" and ExecutedVersion = the version that ran
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#invocation-metrics,
 * https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html). Throttled
 * requests never execute, so Throttles is read for the alias as a whole.
 */
export function metricQueries(scope: HealthScope): MetricSumQuery[] {
  const alias = { FunctionName: scope.functionName, Resource: `${scope.functionName}:${scope.alias}` };
  const version = (v: string) => ({ ...alias, ExecutedVersion: v });
  return [
    { id: "targetInvocations", metricName: "Invocations", dimensions: version(scope.target) },
    { id: "targetErrors", metricName: "Errors", dimensions: version(scope.target) },
    { id: "previousInvocations", metricName: "Invocations", dimensions: version(scope.previous) },
    { id: "previousErrors", metricName: "Errors", dimensions: version(scope.previous) },
    { id: "throttles", metricName: "Throttles", dimensions: alias },
  ];
}
