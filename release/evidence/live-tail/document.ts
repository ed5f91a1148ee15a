/**
 * What one log event of the function says, read from Live Tail: either one request's EMF
 * document (lambda-src/metrics.ts writes one per invocation, with the alias and version it ran
 * as, whether it answered 5xx and how long it took), or Lambda's own `platform.report` record,
 * which Lambda writes once per invocation, thrown or not, in the log stream of the execution
 * environment that ran it. With the JSON log format the record is
 * `{"time", "type": "platform.report", "record": {"requestId", "metrics", "status"}}`
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html; the
 * Telemetry API's platform.report names the statuses: success, error, failure, timeout), and a
 * log stream is named `YYYY/MM/DD/[<version>]<environment id>`
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html), so a report names
 * the version it ran but not the alias. The function sets the JSON log format
 * (components/lambda-service.ts, loggingConfig).
 */
import { DIMENSION, METRIC } from "../../../lambda-src/metric-names";

/** One request as its EMF document tells it. */
export interface RequestDocument {
  readonly kind: "request";
  /** The document's `_aws.Timestamp`: when the function answered (epoch ms). */
  readonly at: number;
  readonly alias: string;
  readonly version: string;
  readonly serverError: boolean;
  readonly latencyMs?: number;
}

/** One invocation as Lambda's report tells it. */
export interface InvocationReport {
  readonly kind: "report";
  readonly at: number;
  readonly version: string;
  /** Anything but `success`: an unhandled error, a timeout, a crash. */
  readonly failed: boolean;
}

export type FunctionEvent = RequestDocument | InvocationReport;

/**
 * The filter pattern a session asks for: the alias's request documents and every invocation
 * report (JSON filter patterns match JSON log events only:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
 */
export function filterPatternFor(alias: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(alias)) throw new RangeError(`alias = ${JSON.stringify(alias)}: an alias name is letters, digits, - and _ (Lambda's CreateAlias rule)`);
  return `{ ($.${DIMENSION.alias} = "${alias}") || ($.type = "platform.report") }`;
}

/** The version in a Lambda log stream's name, `YYYY/MM/DD/[<version>]<id>`; undefined for any other name. */
export function versionOfStream(logStreamName: string): string | undefined {
  return /^\d{4}\/\d{2}\/\d{2}\/\[([^\]]+)\]/.exec(logStreamName)?.[1];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads one Live Tail event; undefined for anything that is neither (a log line, a malformed document). */
export function readEvent(message: string, logStreamName: string, timestamp: number): FunctionEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  if (parsed.type === "platform.report") {
    const version = versionOfStream(logStreamName);
    const record = parsed.record;
    if (version === undefined || !isObject(record)) return undefined;
    return { kind: "report", at: timestamp, version, failed: record.status !== undefined && record.status !== "success" };
  }
  const aws = parsed._aws;
  const alias = parsed[DIMENSION.alias];
  const version = parsed[DIMENSION.version];
  const requests = parsed[METRIC.requests];
  const serverErrors = parsed[METRIC.serverErrors];
  const latency = parsed[METRIC.latency];
  if (!isObject(aws) || typeof aws.Timestamp !== "number" || typeof alias !== "string" || typeof version !== "string" || requests !== 1) return undefined;
  if (serverErrors !== 0 && serverErrors !== 1) return undefined;
  return { kind: "request", at: aws.Timestamp, alias, version, serverError: serverErrors === 1, ...(typeof latency === "number" && Number.isFinite(latency) ? { latencyMs: latency } : {}) };
}
