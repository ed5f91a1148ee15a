/**
 * CloudWatch alarms over the World's metrics, evaluated as CloudWatch does for periods of a
 * minute or more: once a minute, on the most recent `evaluationPeriods` periods that have data
 * visible at that moment, missing data treated as not breaching (the alarms' treatMissingData)
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation).
 *
 * Assumption, in CloudWatch's favour: an alarm evaluates a period as soon as any of its data is
 * visible, and sees late data at the next evaluation; CloudWatch's real look-back can only be
 * slower.
 */
import { metricValues, type SimFunction } from "./sim-aws";
import type { World } from "./world";

export interface AlarmMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: string;
}

export interface AlarmDefinition {
  readonly name: string;
  /** One metric, or the ratio 100 × numerator / denominator (metric math). */
  readonly metric: AlarmMetric | { readonly numerator: AlarmMetric; readonly denominator: AlarmMetric; readonly scale: number };
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
}

export interface AlarmStateValue {
  readonly name: string;
  readonly state: "OK" | "ALARM";
  readonly reason: string;
}

const EVALUATION_MS = 60_000;

export class SimAlarms {
  private readonly cache = new Map<number, AlarmStateValue[]>();

  constructor(
    private readonly world: World,
    private readonly fn: SimFunction,
    readonly definitions: readonly AlarmDefinition[],
  ) {}

  /** States as of the last evaluation at or before `asOfMs` (evaluations run on each whole minute). */
  states(asOfMs: number): AlarmStateValue[] {
    const at = Math.floor(asOfMs / EVALUATION_MS) * EVALUATION_MS;
    let states = this.cache.get(at);
    if (states === undefined) {
      states = this.definitions.map((d) => this.evaluate(d, at));
      this.cache.set(at, states);
    }
    return states;
  }

  private evaluate(d: AlarmDefinition, atMs: number): AlarmStateValue {
    const lookBack = atMs - (d.evaluationPeriods + 5) * d.periodSeconds * 1000;
    const series = (m: AlarmMetric) => metricValues(this.world, this.fn, { ...m, period: d.periodSeconds }, lookBack, atMs, atMs);
    let points: { t: number; v: number }[];
    if ("numerator" in d.metric) {
      const num = series(d.metric.numerator);
      const den = series(d.metric.denominator);
      const byTime = new Map(den.timestamps.map((t, i) => [t.getTime(), den.values[i]]));
      points = num.timestamps.flatMap((t, i) => {
        const denominator = byTime.get(t.getTime());
        return denominator === undefined || denominator === 0 ? [] : [{ t: t.getTime(), v: ((d.metric as { scale: number }).scale * num.values[i]) / denominator }];
      });
    } else {
      const s = series(d.metric);
      points = s.timestamps.map((t, i) => ({ t: t.getTime(), v: s.values[i] }));
    }
    const recent = points.slice(0, d.evaluationPeriods);
    const breaching = recent.filter((p) => p.v >= d.threshold);
    return breaching.length > 0
      ? { name: d.name, state: "ALARM", reason: `${breaching.length} datapoint(s) ≥ ${d.threshold}` }
      : { name: d.name, state: "OK", reason: recent.length === 0 ? "no datapoints (treated as not breaching)" : `latest ${recent[0].v} < ${d.threshold}` };
  }
}
