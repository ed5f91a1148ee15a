/**
 * Simulated Lambda and CloudWatch behind the release step's real ports (release/aws/*): objects
 * with the SDK client's `send(command)` that answer from the World, so the release code runs
 * exactly as in production, SDK command objects, retries and all. A command the simulator does
 * not model throws, so a new call in the release step is noticed rather than silently faked.
 *
 * Modelled as documented:
 * - UpdateAlias with a RevisionId that is not the alias's current one fails with
 *   PreconditionFailedException (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html).
 * - GetMetricData returns, per query, one value per period that has visible data, newest first
 *   (ScanBy TimestampDescending, the default); StartTime is rounded down to the whole minute and
 *   periods counted from it
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
 *   Standard-resolution metrics refuse periods under 60 s.
 * - DescribeAlarms answers each alarm's state as of its last evaluation (alarms.ts).
 */
import type { CloudWatchClient, MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { countAtOrBelow, percentile, type PeriodFigures, type World } from "./world";
import type { SimAlarms } from "./alarms";

export interface SimFunction {
  readonly functionName: string;
  readonly aliasName: string;
  /** The `service` dimension of the function's EMF metrics. */
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly apiName: string;
  readonly stageName: string;
  readonly restApiId: string;
}

const awsError = (name: string, message: string, status: number) => Object.assign(new Error(message), { name, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status } });

interface Command {
  readonly input: Record<string, unknown>;
}
const commandName = (c: object) => c.constructor.name;

/** Lambda: the alias, the versions' configuration and direct invocations (the smoke gate's). */
export function simLambdaClient(world: World, fn: SimFunction): LambdaClient {
  const versionConfig = (version: string) => ({
    FunctionName: fn.functionName,
    Version: version,
    State: "Active",
    LastUpdateStatus: "Successful",
    Role: "arn:aws:iam::123456789012:role/shiftline-prod-api",
    CodeSha256: `sha-of-${version}`,
    RevisionId: `fn-rev-${version}`,
  });
  const send = (command: Command): unknown => {
    const input = command.input;
    switch (commandName(command)) {
      case "GetAliasCommand":
        if (input.Name !== fn.aliasName) throw awsError("ResourceNotFoundException", `Alias not found: ${String(input.Name)}`, 404);
        return { Name: fn.aliasName, FunctionVersion: world.alias.functionVersion, RoutingConfig: { AdditionalVersionWeights: { ...world.alias.weights } }, RevisionId: world.alias.revisionId };
      case "UpdateAliasCommand": {
        if (input.RevisionId !== undefined && input.RevisionId !== world.alias.revisionId) throw awsError("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id.", 412);
        const routing = input.RoutingConfig as { AdditionalVersionWeights?: Record<string, number> } | undefined;
        // RoutingConfig omitted keeps the current weights (UpdateAlias documents the field as optional).
        const weights = routing === undefined ? world.alias.weights : (routing.AdditionalVersionWeights ?? {});
        const revisionId = world.writeAlias(String(input.FunctionVersion ?? world.alias.functionVersion), weights);
        return { Name: fn.aliasName, FunctionVersion: world.alias.functionVersion, RoutingConfig: { AdditionalVersionWeights: { ...world.alias.weights } }, RevisionId: revisionId };
      }
      case "GetFunctionConfigurationCommand": {
        const version = String(input.Qualifier ?? "$LATEST");
        if (!(version in world.options.versions)) throw awsError("ResourceNotFoundException", `Function not found: ${fn.functionName}:${version}`, 404);
        return versionConfig(version);
      }
      case "ListVersionsByFunctionCommand":
        return { Versions: Object.keys(world.options.versions).map(versionConfig) };
      case "GetProvisionedConcurrencyConfigCommand":
        // Provisioned concurrency is not modelled (its allocation time would only delay both contenders alike).
        throw awsError("ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function", 404);
      case "GetPolicyCommand": {
        // The alias's permission for its stage, as the stack grants it (components/rest-api-stages.ts).
        if (input.Qualifier !== fn.aliasName) throw awsError("ResourceNotFoundException", "The resource you requested does not exist.", 404);
        const statement = {
          Sid: `${fn.stageName}-invoke`,
          Effect: "Allow",
          Principal: { Service: "apigateway.amazonaws.com" },
          Action: "lambda:InvokeFunction",
          Resource: `arn:aws:lambda:eu-west-1:123456789012:function:${fn.functionName}:${fn.aliasName}`,
          Condition: { ArnLike: { "AWS:SourceArn": `arn:aws:execute-api:eu-west-1:123456789012:${fn.restApiId}/${fn.stageName}/*/*` } },
        };
        return { Policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) };
      }
      case "InvokeCommand": {
        const version = String(input.Qualifier);
        const outcome = world.outcome(version);
        // A "gateway" outcome is a result the function gives as a success (statusCode 200) that
        // API Gateway cannot turn into an answer: invoked directly, it looks fine, so the smoke gate passes it.
        const payload =
          outcome.kind === "unhandled"
            ? { errorType: "Error", errorMessage: "simulated failure" }
            : { statusCode: outcome.kind === "handled" ? 500 : 200, headers: { "x-function-version": version }, body: "{}" };
        return { StatusCode: 200, ExecutedVersion: version, FunctionError: outcome.kind === "unhandled" ? "Unhandled" : undefined, Payload: Buffer.from(JSON.stringify(payload)) };
      }
      default:
        throw new Error(`the release simulator does not model Lambda ${commandName(command)}; add it to bench/release/sim-aws.ts`);
    }
  };
  return { send: (command: Command) => Promise.resolve().then(() => send(command)) } as unknown as LambdaClient;
}

/** A statistic of one period's figures for one metric, or undefined when CloudWatch would have no datapoint. */
function statistic(metricName: string, stat: string, f: PeriodFigures): number | undefined {
  const values = valuesOf(metricName, f);
  if (values.kind === "latency") {
    const percentileMatch = /^p(\d+(?:\.\d+)?)$/.exec(stat);
    if (percentileMatch) return percentile(f.latency, Number(percentileMatch[1]));
    const atOrBelow = /^TC\(:(\d+(?:\.\d+)?)\)$/.exec(stat);
    if (atOrBelow) return countAtOrBelow(f.latency, Number(atOrBelow[1]));
    // TC(x:) counts the values above x (the lower bound is exclusive).
    const above = /^TC\((\d+(?:\.\d+)?):\)$/.exec(stat);
    if (above) return f.requests - countAtOrBelow(f.latency, Number(above[1]));
    if (stat === "SampleCount") return f.requests;
    throw new Error(`the release simulator does not model statistic ${stat} of ${metricName}`);
  }
  // Count metrics: one datapoint of 0 or 1 per request (EMF, API Gateway) or per invocation (Lambda).
  switch (stat) {
    case "Sum":
      return values.sum;
    case "SampleCount":
      return f.requests;
    case "Average":
      return f.requests === 0 ? undefined : values.sum / f.requests;
    case "Maximum":
      return values.sum > 0 ? 1 : 0;
    default:
      throw new Error(`the release simulator does not model statistic ${stat} of ${metricName}`);
  }
}

function valuesOf(metricName: string, f: PeriodFigures): { kind: "count"; sum: number } | { kind: "latency" } {
  switch (metricName) {
    case "Invocations":
    case "Requests":
    case "Count":
      return { kind: "count", sum: f.requests };
    case "Errors":
      return { kind: "count", sum: f.unhandled };
    case "ServerErrors":
      return { kind: "count", sum: f.unhandled + f.handled };
    // API Gateway also counts the 5xx it made itself of a good answer (a malformed proxy result).
    case "5XXError":
      return { kind: "count", sum: f.unhandled + f.handled + f.gateway };
    case "ClientErrors":
    case "Throttles":
    case "4XXError":
      return { kind: "count", sum: 0 };
    case "Duration":
    case "Latency":
      return { kind: "latency" };
    default:
      throw new Error(`the release simulator does not model metric ${metricName}`);
  }
}

/** Which version's traffic a metric's dimensions select, and at which resolution; throws for dimensions no metric has. */
export function seriesOf(fn: SimFunction, namespace: string, dimensions: Readonly<Record<string, string>>): { version: string | undefined; resolution: "emf" | "standard" } {
  const keys = Object.keys(dimensions).sort().join(",");
  if (namespace === "AWS/Lambda") {
    if (dimensions.FunctionName !== fn.functionName || dimensions.Resource !== `${fn.functionName}:${fn.aliasName}`) throw new Error(`no simulated Lambda metric has dimensions ${JSON.stringify(dimensions)}`);
    if (keys === "FunctionName,Resource") return { version: undefined, resolution: "standard" };
    if (keys === "ExecutedVersion,FunctionName,Resource") return { version: dimensions.ExecutedVersion, resolution: "standard" };
  }
  if (namespace === fn.metricsNamespace && dimensions.service === fn.serviceName && dimensions.FunctionName === fn.functionName && dimensions.Alias === fn.aliasName) {
    if (keys === "Alias,FunctionName,service") return { version: undefined, resolution: "emf" };
    if (keys === "Alias,FunctionName,Version,service") return { version: dimensions.Version, resolution: "emf" };
  }
  if (namespace === "AWS/ApiGateway" && keys === "ApiName,Stage" && dimensions.ApiName === fn.apiName && dimensions.Stage === fn.stageName) return { version: undefined, resolution: "standard" };
  throw new Error(`no simulated metric in ${namespace} has dimensions ${JSON.stringify(dimensions)}`);
}

/** Values of one metric between two times, one per period with visible data, newest first. */
export function metricValues(world: World, fn: SimFunction, q: { namespace: string; metricName: string; dimensions: Readonly<Record<string, string>>; period: number; stat: string }, startMs: number, endMs: number, asOfMs: number = world.nowMs): { timestamps: Date[]; values: number[] } {
  if (!(q.period >= 1)) throw awsError("InvalidParameterValue", `The parameter MetricStat.Period must be at least 1; got ${q.period}.`, 400);
  const series = seriesOf(fn, q.namespace, q.dimensions);
  if (series.resolution === "standard" && q.period % 60 !== 0) throw awsError("InvalidParameterValue", `The parameter Period must be a multiple of 60 for a standard-resolution metric; got ${q.period}.`, 400);
  const periodMs = q.period * 1000;
  const timestamps: Date[] = [];
  const values: number[] = [];
  // CloudWatch rounds a recent StartTime down to the whole minute and counts periods from there.
  for (let start = Math.floor(startMs / 60_000) * 60_000; start < endMs; start += periodMs) {
    const figures = world.period(series.version, start, periodMs, asOfMs, series.resolution, q.metricName === "Duration" || q.metricName === "Latency");
    if (figures === undefined) continue;
    const v = statistic(q.metricName, q.stat, figures);
    if (v === undefined) continue;
    timestamps.push(new Date(start));
    values.push(v);
  }
  return { timestamps: timestamps.reverse(), values: values.reverse() };
}

/** CloudWatch: GetMetricData over the World's metrics and DescribeAlarms over its alarms. */
export function simCloudWatchClient(world: World, fn: SimFunction, alarms: SimAlarms): CloudWatchClient {
  const send = (command: Command): unknown => {
    const input = command.input;
    switch (commandName(command)) {
      case "GetMetricDataCommand": {
        const queries = input.MetricDataQueries as MetricDataQuery[];
        const start = (input.StartTime as Date).getTime();
        const end = (input.EndTime as Date).getTime();
        const MetricDataResults = queries.map((q) => {
          if (q.MetricStat === undefined) throw new Error(`the release simulator does not model metric math (${q.Id ?? "?"}: ${q.Expression ?? ""})`);
          const m = q.MetricStat;
          const dimensions = Object.fromEntries((m.Metric?.Dimensions ?? []).map((d) => [d.Name ?? "", d.Value ?? ""]));
          const { timestamps, values } = metricValues(world, fn, { namespace: m.Metric?.Namespace ?? "", metricName: m.Metric?.MetricName ?? "", dimensions, period: m.Period ?? 60, stat: m.Stat ?? "" }, start, end);
          return { Id: q.Id, Label: q.Label ?? m.Metric?.MetricName, Timestamps: timestamps, Values: values, StatusCode: "Complete" };
        });
        return { MetricDataResults, Messages: [] };
      }
      case "DescribeAlarmsCommand": {
        const names = new Set((input.AlarmNames as string[] | undefined) ?? []);
        return { MetricAlarms: alarms.states(world.nowMs).filter((a) => names.has(a.name)).map((a) => ({ AlarmName: a.name, StateValue: a.state, StateReason: a.reason })) };
      }
      default:
        throw new Error(`the release simulator does not model CloudWatch ${commandName(command)}; add it to bench/release/sim-aws.ts`);
    }
  };
  return { send: (command: Command) => Promise.resolve().then(() => send(command)) } as unknown as CloudWatchClient;
}
