// Wing evidence/: the sources of figures, gathered from AWS: the function's request metrics here, Lambda's metrics and alarms in lambda-metrics.ts. May import: judge, aws, core.
/**
 * Gathering the evidence the decision rule (release/judge/decision) judges: per version, what users
 * saw, from the function's own high-resolution EMF metrics (lambda-src/metrics.ts), beside
 * Lambda's `Invocations` and `Errors`. AWS calls only; judging is in release/judge/decision and
 * release/judge/step.ts.
 *
 * - The window is cumulative from the first shift, so the rule's error rates hold for the whole
 *   release rather than per step, and its baseline follows the changing split.
 * - The previous version's traffic before the release (`preRelease`) is read from the same
 *   metrics at 1-minute periods: it usually holds far more requests than the window, which is
 *   what lets a target's first failures count as strong evidence.
 * - Periods: GetMetricData rounds StartTime down to the whole minute and returns one datapoint
 *   per period from there; high-resolution data can be read at 1, 5, 10 or 30 s for three hours
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html,
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Resolution_definition).
 *   Counts are summed over the periods, so the period only bounds the number of datapoints.
 */
import { DIMENSION, METRIC } from "../../lambda-src/metric-names";
import type { CloudWatchPort, MetricStatQuery } from "../aws/cloudwatch";
import type { VersionFigures } from "../judge/decision";

/** Where the function writes its request metrics: a stack output (requestMetrics). */
export interface RequestMetricsScope {
  readonly namespace: string;
  /** The `service` dimension Powertools adds to every dimension set. */
  readonly serviceName: string;
}

export interface EvidenceScope {
  readonly functionName: string;
  readonly alias: string;
  readonly target: string;
  readonly previous: string;
  readonly metrics: RequestMetricsScope;
}

export interface PreRelease {
  /** The previous version over the minutes before the release; undefined when it published no EMF metrics. */
  readonly previous?: VersionFigures;
  /** The previous version's p99 latency over that time: the threshold slow requests are counted against. */
  readonly latencyThresholdMs?: number;
  readonly problems: readonly string[];
}

export interface Window {
  readonly target: VersionFigures;
  readonly baseline: VersionFigures;
  /**
   * False once Lambda saw the target invoked but no EMF request count arrived: an old version
   * that does not publish the metrics (the caller then falls back to Lambda's own metrics).
   */
  readonly targetPublishes: boolean;
  readonly problems: readonly string[];
}

/** High-resolution data at periods under a minute is kept for three hours (MetricStat: older data needs a multiple of 60). */
const HIGH_RESOLUTION_SECONDS = 3 * 3600;

/**
 * The smallest period that keeps a window to at most 1 440 datapoints per query: 1, 5, 10 or
 * 30 s while the window starts within the last three hours, a multiple of 60 once it reaches
 * further back, since a shorter period returns nothing for the older part
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html).
 */
export function periodFor(windowSeconds: number, startAgeSeconds: number = windowSeconds): number {
  if (startAgeSeconds < HIGH_RESOLUTION_SECONDS - 120) for (const p of [1, 5, 10, 30]) if (windowSeconds / p <= 1440) return p;
  return 60 * Math.max(1, Math.ceil(windowSeconds / 60 / 1440));
}

/** Lambda invocations of the target with no EMF request at all: the target does not publish them. */
const NOT_PUBLISHING_AFTER_INVOCATIONS = 5;

const sum = (values: readonly number[] | undefined) => (values ?? []).reduce((a, b) => a + b, 0);
const whole = (x: number) => Math.max(0, Math.round(x));

export class EvidenceGatherer {
  constructor(
    private readonly cloudwatch: CloudWatchPort,
    private readonly scope: EvidenceScope,
  ) {}

  private emf(version: string): Readonly<Record<string, string>> {
    return { service: this.scope.metrics.serviceName, [DIMENSION.functionName]: this.scope.functionName, [DIMENSION.alias]: this.scope.alias, [DIMENSION.version]: version };
  }

  private lambda(version: string): Readonly<Record<string, string>> {
    return { FunctionName: this.scope.functionName, Resource: `${this.scope.functionName}:${this.scope.alias}`, ExecutedVersion: version };
  }

  private versionQueries(prefix: string, version: string, period: number, thresholdMs: number | undefined): MetricStatQuery[] {
    const ns = this.scope.metrics.namespace;
    const emf = this.emf(version);
    const queries: MetricStatQuery[] = [
      { id: `${prefix}Requests`, namespace: ns, metricName: METRIC.requests, dimensions: emf, stat: "Sum", period },
      { id: `${prefix}ServerErrors`, namespace: ns, metricName: METRIC.serverErrors, dimensions: emf, stat: "Sum", period },
      { id: `${prefix}Timed`, namespace: ns, metricName: METRIC.latency, dimensions: emf, stat: "SampleCount", period },
      { id: `${prefix}Invocations`, namespace: "AWS/Lambda", metricName: "Invocations", dimensions: this.lambda(version), stat: "Sum", period: Math.max(60, period) },
      { id: `${prefix}Errors`, namespace: "AWS/Lambda", metricName: "Errors", dimensions: this.lambda(version), stat: "Sum", period: Math.max(60, period) },
    ];
    // TC(x:) counts the values above x (its lower bound is exclusive): the slow requests.
    if (thresholdMs !== undefined) queries.push({ id: `${prefix}Slow`, namespace: ns, metricName: METRIC.latency, dimensions: emf, stat: `TC(${thresholdMs.toFixed(3)}:)`, period });
    return queries;
  }

  private static figures(values: Record<string, number[]>, prefix: string, withSlow: boolean): VersionFigures {
    const requests = whole(sum(values[`${prefix}Requests`]));
    const timed = Math.min(requests, whole(sum(values[`${prefix}Timed`])));
    const invocations = whole(sum(values[`${prefix}Invocations`]));
    return {
      requests,
      serverErrors: Math.min(requests, whole(sum(values[`${prefix}ServerErrors`]))),
      invocations,
      unhandledErrors: Math.min(invocations, whole(sum(values[`${prefix}Errors`]))),
      latency: withSlow ? { timedRequests: timed, slowRequests: Math.min(timed, whole(sum(values[`${prefix}Slow`]))) } : undefined,
    };
  }

  /** The previous version over the `minutes` whole minutes before `until`. */
  async preRelease(until: Date, minutes: number): Promise<PreRelease> {
    // No history asked for: nothing to read (a period of 0 s is no period, MetricStat needs 1 or more).
    if (minutes <= 0) return { problems: [] };
    const end = Math.floor(until.getTime() / 60_000) * 60_000;
    const start = new Date(end - minutes * 60_000);
    const ns = this.scope.metrics.namespace;
    const first = await this.cloudwatch.statistics(
      [
        ...this.versionQueries("prev", this.scope.previous, 60, undefined),
        // One period over the whole time: its p99 (CloudWatch aligns it to the rounded StartTime).
        { id: "prevP99", namespace: ns, metricName: METRIC.latency, dimensions: this.emf(this.scope.previous), stat: "p99", period: minutes * 60 },
      ],
      start,
      new Date(end),
    );
    const thresholds = first.values.prevP99 ?? [];
    const latencyThresholdMs = thresholds.length > 0 ? Math.max(...thresholds) : undefined;
    if (latencyThresholdMs === undefined) {
      const previous = EvidenceGatherer.figures(first.values, "prev", false);
      return { previous: previous.requests > 0 ? previous : undefined, problems: first.problems };
    }
    const slow = await this.cloudwatch.statistics(this.versionQueries("prev", this.scope.previous, 60, latencyThresholdMs).filter((q) => q.id === "prevSlow"), start, new Date(end));
    const previous = EvidenceGatherer.figures({ ...first.values, ...slow.values }, "prev", true);
    return { previous: previous.requests > 0 ? previous : undefined, latencyThresholdMs, problems: [...first.problems, ...slow.problems] };
  }

  /**
   * How far in request time a version's request metrics (the target's by default) are complete, measured rather than
   * assumed: the end of the newest whole minute up to which its EMF `Requests` (with Lambda's
   * `Errors`, since a timeout or crash writes no document) account for every invocation Lambda
   * counted through the alias, and Lambda's own figures have arrived (a datapoint for that
   * minute or a later one). AWS documents no delay for either (the EMF alarms page: it "depends
   * on your log publishing flow"), so this is what decides when the last step has been seen.
   * Undefined until a minute is complete.
   */
  async completeThrough(since: Date, until: Date, version: string = this.scope.target): Promise<{ until?: number; problems: readonly string[] }> {
    const start = new Date(Math.floor(since.getTime() / 60_000) * 60_000);
    const v = version;
    const { points, problems } = await this.cloudwatch.series(
      [
        { id: "requests", namespace: this.scope.metrics.namespace, metricName: METRIC.requests, dimensions: this.emf(v), stat: "Sum", period: 60 },
        { id: "invocations", namespace: "AWS/Lambda", metricName: "Invocations", dimensions: this.lambda(v), stat: "Sum", period: 60 },
        { id: "errors", namespace: "AWS/Lambda", metricName: "Errors", dimensions: this.lambda(v), stat: "Sum", period: 60 },
      ],
      start,
      until,
    );
    if (problems.length > 0) return { problems };
    const perMinute = (id: string) => new Map((points[id] ?? []).map(([t, x]) => [t, x]));
    const [requests, invocations, errors] = [perMinute("requests"), perMinute("invocations"), perMinute("errors")];
    const lambdaMinutes = [...invocations.keys()].filter(Number.isFinite).sort((a, b) => a - b);
    const lastLambda = lambdaMinutes.at(-1);
    if (lastLambda === undefined) return { problems };
    let seen = 0;
    let invoked = 0;
    let complete: number | undefined;
    for (let m = start.getTime(); m <= lastLambda; m += 60_000) {
      seen += (requests.get(m) ?? 0) + (errors.get(m) ?? 0);
      invoked += invocations.get(m) ?? 0;
      if (seen < invoked) break;
      complete = m + 60_000;
    }
    return { until: complete, problems };
  }

  /** Both versions from `since` (the first shift) to `until`. */
  async window(since: Date, until: Date, latencyThresholdMs: number | undefined): Promise<Window> {
    const windowSeconds = (until.getTime() - since.getTime()) / 1000 + 60;
    const period = periodFor(windowSeconds, windowSeconds);
    const withSlow = latencyThresholdMs !== undefined;
    const { values, problems } = await this.cloudwatch.statistics(
      [...this.versionQueries("target", this.scope.target, period, latencyThresholdMs), ...this.versionQueries("prev", this.scope.previous, period, latencyThresholdMs)],
      since,
      until,
    );
    const target = EvidenceGatherer.figures(values, "target", withSlow);
    return {
      target,
      baseline: EvidenceGatherer.figures(values, "prev", withSlow),
      targetPublishes: !(target.requests === 0 && (target.invocations ?? 0) >= NOT_PUBLISHING_AFTER_INVOCATIONS),
      problems,
    };
  }
}
