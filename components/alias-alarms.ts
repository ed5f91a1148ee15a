/**
 * AliasAlarms: the CloudWatch alarms of one alias — errors, throttles and p99 duration —
 * on the `FunctionName` + `Resource` (`<fn>:<alias>`) dimensions, so they watch exactly the
 * traffic the alias serves; and, from the function's own request metrics (lambda-src/metrics.ts),
 * the share of its answers that were server errors, handled or not, which Lambda's `Errors`
 * does not count. The release step reads their names from the stack outputs and
 * rolls back if any is in ALARM. Plain `aws.cloudwatch.MetricAlarm`s: a metric helper library
 * (awsx) would add a provider plugin to every `pulumi up` for three resources.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DIMENSION, METRIC } from "../lambda-src/metric-names";
import { alarmPeriodProblem, alarmWindowProblem, emfAlarmWindow } from "./alarm-rules";
import { childName, throwIfProblems, type ArgProblem } from "./naming";

export interface AliasAlarmsArgs {
  /** The function's name, known before deployment (`Resource` dimension is `<fn>:<alias>`). Required. */
  readonly functionName: string;
  /** The alias watched. Required. */
  readonly alias: string;
  /** Errors per period that raise the errors alarm. Defaults to 1. */
  readonly errorsThreshold?: number;
  /** Throttles per period that raise the throttles alarm. Defaults to 1. */
  readonly throttlesThreshold?: number;
  /** p99 duration in ms that raises the duration alarm. Defaults to 3000. */
  readonly p99DurationMs?: number;
  /** Alarm period in seconds, a multiple of 60 (components/alarm-rules.ts). Defaults to 60. */
  readonly periodSeconds?: number;
  /** Periods evaluated before the state changes; period × periods within CloudWatch's window. Defaults to 1. */
  readonly evaluationPeriods?: number;
  /** Share of answers (percent) that were server errors (5xx) in one period that raises the server-error-rate alarm. Defaults to 5. */
  readonly serverErrorRatePercent?: number;
  /**
   * Where the function writes its request metrics: the namespace and the `service` dimension
   * Powertools adds (POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_SERVICE_NAME). Defaults to none:
   * no server-error-rate alarm.
   */
  readonly requestMetrics?: { readonly namespace: string; readonly serviceName: string };
}

export type ResolvedAliasAlarmsArgs = Required<Omit<AliasAlarmsArgs, "requestMetrics">> & Pick<AliasAlarmsArgs, "requestMetrics">;

/** Applies defaults and validates; throws listing every problem. */
export function resolveAliasAlarmsArgs(args: AliasAlarmsArgs): ResolvedAliasAlarmsArgs {
  const r: ResolvedAliasAlarmsArgs = {
    errorsThreshold: 1,
    throttlesThreshold: 1,
    p99DurationMs: 3000,
    periodSeconds: 60,
    evaluationPeriods: 1,
    serverErrorRatePercent: 5,
    ...stripUndefined(args),
  } as ResolvedAliasAlarmsArgs;
  const problems: ArgProblem[] = [];
  for (const field of ["errorsThreshold", "throttlesThreshold", "p99DurationMs", "evaluationPeriods"] as const) {
    if (!Number.isInteger(r[field]) || r[field] < 1) problems.push([field, r[field], "must be a whole number, at least 1."]);
  }
  const period = alarmPeriodProblem(r.periodSeconds);
  if (period !== undefined) problems.push(["periodSeconds", r.periodSeconds, period]);
  const window = period === undefined && Number.isInteger(r.evaluationPeriods) && r.evaluationPeriods >= 1 ? alarmWindowProblem(r.periodSeconds, r.evaluationPeriods) : undefined;
  if (window !== undefined) problems.push(["evaluationPeriods", r.evaluationPeriods, window]);
  if (!(r.serverErrorRatePercent > 0 && r.serverErrorRatePercent <= 100)) problems.push(["serverErrorRatePercent", r.serverErrorRatePercent, "must be a percentage above 0 and at most 100."]);
  if (r.alias.length === 0) problems.push(["alias", r.alias, "must name the alias to watch, e.g. live."]);
  throwIfProblems("AliasAlarms", problems);
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class AliasAlarms extends pulumi.ComponentResource {
  /** Physical alarm names, in the order errors, throttles, p99 duration, then server-error rate when request metrics are given. */
  public readonly alarmNames: pulumi.Output<string[]>;
  /** Alarm ARNs, same order (what a deployer role's DescribeAlarms grant is scoped to). */
  public readonly alarmArns: pulumi.Output<string[]>;

  constructor(name: string, args: AliasAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every argument problem is reported before anything, this component included, is registered.
    const a = resolveAliasAlarmsArgs(args);
    super("shiftline:monitoring:AliasAlarms", name, {}, opts);
    const parent = { parent: this };
    // The alias's own traffic: Lambda publishes per-alias metrics under these two dimensions.
    const common = {
      namespace: "AWS/Lambda",
      dimensions: { FunctionName: a.functionName, Resource: `${a.functionName}:${a.alias}` },
      period: a.periodSeconds,
      evaluationPeriods: a.evaluationPeriods,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      // No invocations means no errors, throttles or slow calls: missing data must not raise these alarms.
      treatMissingData: "notBreaching",
    };
    const alarm = (suffix: string, metric: Pick<aws.cloudwatch.MetricAlarmArgs, "metricName" | "statistic" | "extendedStatistic" | "threshold" | "alarmDescription">) =>
      new aws.cloudwatch.MetricAlarm(childName(name, suffix), { ...common, ...metric }, parent);
    const errors = alarm("errors", { metricName: "Errors", statistic: "Sum", threshold: a.errorsThreshold, alarmDescription: `Errors on ${a.functionName}:${a.alias}.` });
    const throttles = alarm("throttles", { metricName: "Throttles", statistic: "Sum", threshold: a.throttlesThreshold, alarmDescription: `Throttles on ${a.functionName}:${a.alias}.` });
    const duration = alarm("p99-duration", {
      metricName: "Duration",
      extendedStatistic: "p99",
      threshold: a.p99DurationMs,
      alarmDescription: `p99 duration of ${a.functionName}:${a.alias} in ms.`,
    });

    const alarms = [errors, throttles, duration];
    if (a.requestMetrics !== undefined) alarms.push(this.serverErrorRate(name, a, a.requestMetrics));

    this.alarmNames = pulumi.all(alarms.map((x) => x.name));
    this.alarmArns = pulumi.all(alarms.map((x) => x.arn));
    this.registerOutputs({ alarmNames: this.alarmNames, alarmArns: this.alarmArns });
  }

  /**
   * Server errors as a share of requests through the alias, by metric math over the function's
   * EMF metrics (dimension set service + FunctionName + Alias). With no requests the expression
   * has no data, which is not breaching. Metric math alarms:
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html
   */
  private serverErrorRate(name: string, a: ResolvedAliasAlarmsArgs, metrics: { readonly namespace: string; readonly serviceName: string }): aws.cloudwatch.MetricAlarm {
    const dimensions = { service: metrics.serviceName, [DIMENSION.functionName]: a.functionName, [DIMENSION.alias]: a.alias };
    const sum = (id: string, metricName: string) => ({ id, returnData: false, metric: { namespace: metrics.namespace, metricName, dimensions, period: a.periodSeconds, stat: "Sum" } });
    return new aws.cloudwatch.MetricAlarm(
      childName(name, "server-error-rate"),
      {
        alarmDescription: `Share of answers of ${a.functionName}:${a.alias} that were server errors (5xx, handled or not), in percent.`,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: a.serverErrorRatePercent,
        // M out of N, as AWS advises for EMF metrics from Lambda: a late datapoint still counts.
        ...emfAlarmWindow(a.periodSeconds, a.evaluationPeriods),
        treatMissingData: "notBreaching",
        metricQueries: [
          sum("requests", METRIC.requests),
          sum("errors", METRIC.serverErrors),
          { id: "rate", expression: "100 * errors / requests", label: "server error rate (%)", returnData: true },
        ],
      },
      { parent: this },
    );
  }
}
