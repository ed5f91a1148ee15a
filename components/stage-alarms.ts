/**
 * StageAlarms: the server-error alarm of one API Gateway stage, on API Gateway's own `5XXError`
 * metric (dimensions ApiName + Stage). It sees what callers of the stage see, including 5xx
 * answers the function never gave (a missing invoke permission, an integration timeout).
 * `5XXError` is 1 for an answer with a 5xx status and 0 otherwise, so its Average over a period
 * is the share of server errors
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { childName, throwIfProblems, type ArgProblem } from "./naming";

export interface StageAlarmsArgs {
  /** The REST API's name (the `ApiName` dimension). Required. */
  readonly apiName: pulumi.Input<string>;
  /** The stage watched. Required. */
  readonly stageName: string;
  /** Share of answers (percent) with a 5xx status in one period that raises the alarm. Defaults to 5. */
  readonly serverErrorRatePercent?: number;
  /** Alarm period in seconds; API Gateway publishes these metrics every minute. Defaults to 60. */
  readonly periodSeconds?: number;
  /** Periods evaluated before the state changes. Defaults to 1. */
  readonly evaluationPeriods?: number;
}

export type ResolvedStageAlarmsArgs = Required<StageAlarmsArgs>;

/** Applies defaults and validates; throws listing every problem. */
export function resolveStageAlarmsArgs(args: StageAlarmsArgs): ResolvedStageAlarmsArgs {
  const r: ResolvedStageAlarmsArgs = {
    serverErrorRatePercent: args.serverErrorRatePercent ?? 5,
    periodSeconds: args.periodSeconds ?? 60,
    evaluationPeriods: args.evaluationPeriods ?? 1,
    apiName: args.apiName,
    stageName: args.stageName,
  };
  const problems: ArgProblem[] = [];
  if (!(r.serverErrorRatePercent > 0 && r.serverErrorRatePercent <= 100)) problems.push(["serverErrorRatePercent", r.serverErrorRatePercent, "must be a percentage above 0 and at most 100."]);
  if (!(Number.isInteger(r.periodSeconds) && r.periodSeconds >= 60 && r.periodSeconds % 60 === 0)) {
    problems.push(["periodSeconds", r.periodSeconds, "must be a multiple of 60: API Gateway publishes its metrics once a minute."]);
  }
  if (!Number.isInteger(r.evaluationPeriods) || r.evaluationPeriods < 1) problems.push(["evaluationPeriods", r.evaluationPeriods, "must be a whole number, at least 1."]);
  if (r.stageName.length === 0) problems.push(["stageName", r.stageName, "must name the stage to watch, e.g. prod."]);
  throwIfProblems("StageAlarms", problems);
  return r;
}

export class StageAlarms extends pulumi.ComponentResource {
  public readonly alarmName: pulumi.Output<string>;
  public readonly alarmArn: pulumi.Output<string>;

  constructor(name: string, args: StageAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    const a = resolveStageAlarmsArgs(args);
    super("shiftline:monitoring:StageAlarms", name, {}, opts);
    const alarm = new aws.cloudwatch.MetricAlarm(
      childName(name, "5xx-rate"),
      {
        namespace: "AWS/ApiGateway",
        metricName: "5XXError",
        dimensions: { ApiName: a.apiName, Stage: a.stageName },
        statistic: "Average",
        period: a.periodSeconds,
        evaluationPeriods: a.evaluationPeriods,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: a.serverErrorRatePercent / 100,
        // No requests means no server errors.
        treatMissingData: "notBreaching",
        alarmDescription: `Share of answers of API Gateway stage ${a.stageName} with a 5xx status (0-1).`,
      },
      { parent: this },
    );
    this.alarmName = alarm.name;
    this.alarmArn = alarm.arn;
    this.registerOutputs({ alarmName: this.alarmName, alarmArn: this.alarmArn });
  }
}
