/**
 * Lambda's own metrics and the stack's alarms for one alias, gathered: alarm states (and which
 * were already firing when the release began), `Invocations` and `Errors` per executed version,
 * and the alias's `Throttles`, before and during the release. Judged by release/judge/health.ts.
 */
import type { AlarmState, CloudWatchPort, MetricSumQuery } from "../aws/cloudwatch";
import { judgeHealth, type HealthLimits, type HealthSample, type HealthVerdict, type JudgeOptions } from "../judge/health";
import { floorToMinute, wholeMinutes, type ThrottleBaseline } from "../judge/throttle-baseline";

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
    private readonly settings: HealthLimits,
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
