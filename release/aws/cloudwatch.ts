/** CloudWatch reads of the release step: alarm states and summed Lambda metrics. */
import { DescribeAlarmsCommand, GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { callAws, type CallContext } from "./call";

export interface AlarmState {
  readonly name: string;
  readonly state: string;
  readonly reason?: string;
}

/** One metric of any namespace, with its statistic and period in seconds. */
export interface MetricStatQuery {
  /** Query id: lowercase letter first, then letters, digits, underscores. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Sum, SampleCount, p99, TC(150:) … (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html). */
  readonly stat: string;
  readonly period: number;
}

/** One metric to sum over a window: AWS/Lambda namespace, Sum statistic. */
export interface MetricSumQuery {
  /** Query id: lowercase letter first, then letters, digits, underscores. */
  readonly id: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

export class CloudWatchPort {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly ctx: CallContext,
  ) {}

  /**
   * Current state of the named metric alarms; unknown names are simply absent. Composite
   * alarms are left out on purpose: DescribeAlarms returns them only to callers allowed on
   * every alarm ("*"), which the least-privilege deployer role is not.
   */
  async alarmStates(names: readonly string[]): Promise<AlarmState[]> {
    const states: AlarmState[] = [];
    // DescribeAlarms accepts at most 100 names per call.
    for (let i = 0; i < names.length; i += 100) {
      let nextToken: string | undefined;
      do {
        const out = await callAws(this.ctx, "DescribeAlarmsCommand", () =>
          this.client.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), AlarmTypes: ["MetricAlarm"], NextToken: nextToken })),
        );
        for (const a of out.MetricAlarms ?? []) {
          states.push({ name: a.AlarmName ?? "", state: a.StateValue ?? "INSUFFICIENT_DATA", reason: a.StateReason });
        }
        nextToken = out.NextToken;
      } while (nextToken !== undefined);
    }
    return states;
  }

  /**
   * Sum of each metric between `start` and `end` at 1-minute periods (missing data counts as 0).
   * `problems` lists results CloudWatch could not compute (StatusCode InternalError or
   * Forbidden, or error Messages): their sums are incomplete and must not be read as healthy.
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html
   */
  async sums(queries: readonly MetricSumQuery[], start: Date, end: Date): Promise<{ totals: Record<string, number>; problems: string[] }> {
    const { values, problems } = await this.statistics(
      queries.map((q) => ({ ...q, namespace: "AWS/Lambda", stat: "Sum", period: 60 })),
      start,
      end,
    );
    return { totals: Object.fromEntries(Object.entries(values).map(([id, v]) => [id, v.reduce((a, b) => a + b, 0)])), problems };
  }

  /**
   * Every datapoint of each query between `start` and `end` (newest first, as GetMetricData
   * returns them), for any namespace, statistic and period: the release step's EMF queries use
   * 1-60 s periods on high-resolution metrics and percentile-family statistics such as p99 and
   * TC(x:). `problems` as for sums().
   */
  async statistics(queries: readonly MetricStatQuery[], start: Date, end: Date): Promise<{ values: Record<string, number[]>; problems: string[] }> {
    const { points, problems } = await this.series(queries, start, end);
    return { values: Object.fromEntries(Object.entries(points).map(([id, p]) => [id, p.map(([, v]) => v)])), problems };
  }

  /** As statistics(), with each datapoint's timestamp (epoch ms, the start of its period). */
  async series(queries: readonly MetricStatQuery[], start: Date, end: Date): Promise<{ points: Record<string, Array<[number, number]>>; problems: string[] }> {
    const points: Record<string, Array<[number, number]>> = Object.fromEntries(queries.map((q) => [q.id, []]));
    const problems: string[] = [];
    const MetricDataQueries: MetricDataQuery[] = queries.map((q) => ({
      Id: q.id,
      ReturnData: true,
      MetricStat: {
        Metric: { Namespace: q.namespace, MetricName: q.metricName, Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })) },
        Period: q.period,
        Stat: q.stat,
      },
    }));
    let nextToken: string | undefined;
    do {
      const out = await callAws(this.ctx, "GetMetricDataCommand", () =>
        this.client.send(new GetMetricDataCommand({ MetricDataQueries, StartTime: start, EndTime: end, NextToken: nextToken })),
      );
      for (const m of out.Messages ?? []) problems.push(`GetMetricData: ${m.Code ?? "message"}: ${m.Value ?? ""}`);
      for (const r of out.MetricDataResults ?? []) {
        // PartialData only means more pages follow (NextToken); anything else is a failed query.
        if (r.StatusCode !== undefined && r.StatusCode !== "Complete" && r.StatusCode !== "PartialData") {
          problems.push(`${r.Id ?? "?"}: ${r.StatusCode}${(r.Messages ?? []).map((m) => ` (${m.Code ?? ""} ${m.Value ?? ""})`).join("")}`);
        }
        if (r.Id !== undefined && r.Id in points) {
          (r.Values ?? []).forEach((v, i) => {
            if (Number.isFinite(v)) points[r.Id as string].push([r.Timestamps?.[i]?.getTime() ?? NaN, v]);
          });
        }
      }
      nextToken = out.NextToken;
    } while (nextToken !== undefined);
    return { points, problems };
  }
}
