/**
 * What users see, per alias and per version, as CloudWatch metrics written through the
 * Embedded Metric Format (EMF): one JSON document on stdout per invocation, turned into metrics
 * by CloudWatch Logs with no API call on the request path
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 *
 * Lambda's own `Errors` metric counts only unhandled exceptions and timeouts
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#invocation-metrics);
 * this function answers failures as 500/503 results, which Lambda counts as successes. So the
 * release step judges these metrics, where a 5xx is a failure whether it was handled or not.
 *
 * Every metric is high resolution (StorageResolution 1): CloudWatch keeps 1 s data points for
 * three hours and they can be read at 1, 5, 10 or 30 s periods
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Resolution_definition).
 *
 * Cardinality is bounded: the dimension values are the function name, the alias (or one of two
 * fixed words for direct invocations) and the version, never a request or user id.
 */
import { Console } from "node:console";
import { Metrics, MetricResolution, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { EmfOutput } from "@aws-lambda-powertools/metrics/types";
import { DIMENSION, DIRECT_VERSION, METRIC, UNQUALIFIED } from "./metric-names";

export { DIMENSION, DIRECT_VERSION, METRIC, UNQUALIFIED };

/**
 * The alias an invocation came through, from `context.invokedFunctionArn`
 * (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`,
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html). A numeric qualifier is a
 * version invoked directly; `$LATEST` or no qualifier is the unpublished code.
 */
export function aliasOf(invokedFunctionArn: string): string {
  const parts = invokedFunctionArn.split(":");
  const qualifier = parts.length >= 8 ? parts[7] : undefined;
  if (qualifier === undefined || qualifier === "" || qualifier === "$LATEST") return UNQUALIFIED;
  if (/^\d+$/.test(qualifier)) return DIRECT_VERSION;
  return qualifier;
}

/** One invocation as the caller saw it. */
export interface RequestOutcome {
  readonly functionName: string;
  readonly invokedFunctionArn: string;
  readonly functionVersion: string;
  /** The status code answered; undefined when the handler threw (Lambda then reports an error). */
  readonly statusCode: number | undefined;
  readonly latencyMs: number;
}

/** Where request metrics go: EMF on stdout in the function, a recorder in tests. */
export interface RequestMetrics {
  /** Records one invocation and flushes it at once (one EMF document per invocation). */
  publish(outcome: RequestOutcome): void;
}

/** Where the writer's settings come from; each defaults to the Powertools environment variable. */
export interface RequestMetricsOptions {
  /** Defaults to POWERTOOLS_METRICS_NAMESPACE. */
  readonly namespace?: string;
  /** The `service` dimension Powertools adds to every dimension set. Defaults to POWERTOOLS_SERVICE_NAME. */
  readonly serviceName?: string;
}

/** Powertools' Metrics, with its own switch (POWERTOOLS_METRICS_DISABLED, POWERTOOLS_DEV) readable here. */
class AliasMetrics extends Metrics {
  get enabled(): boolean {
    return !this.isDisabled();
  }
}

/**
 * Where the documents go: a Console on process.stdout, as Powertools writes them (its own
 * Console, not the global one the Lambda runtime prefixes with a timestamp and request id, which
 * would make the line invalid EMF; @aws-lambda-powertools/metrics `lib/cjs/Metrics.js` `setConsole`).
 */
const stdout = new Console({ stdout: process.stdout, stderr: process.stderr });

/**
 * Request metrics through Powertools, one document per invocation with two dimension sets:
 * per alias and version (what the release step compares) and per alias (what the alias's
 * alarms watch; CloudWatch never aggregates across dimensions,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension).
 *
 * One Powertools instance per alias, with FunctionName and Alias as its default dimensions:
 * the per-invocation Version is then the only request dimension, and the alias-wide set is an
 * empty extra set (defaults only), so no key is given twice, which Powertools would warn about
 * on every invocation. The map is bounded by the function's aliases plus the two fixed words.
 *
 * Powertools builds each alias × version's document once (`serializeMetrics`,
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/metrics/): namespace,
 * dimension sets, units, resolution and key order are its own. Every invocation then writes
 * that document with its own Timestamp and the four values, the same bytes Powertools'
 * `publishStoredMetrics` would write, without its per-call work (about 30 environment variable
 * reads and the validation of units and names that never change), which was about a fifth of
 * what the handler adds to a request (bench/lambda.bench.ts).
 */
export function createRequestMetrics(options: RequestMetricsOptions = {}): RequestMetrics {
  const byAlias = new Map<string, AliasMetrics>();
  const documents = new Map<string, EmfOutput | null>();
  const writerFor = (functionName: string, alias: string): AliasMetrics => {
    const key = `${functionName}\u0000${alias}`;
    let writer = byAlias.get(key);
    if (writer === undefined) {
      writer = new AliasMetrics({ namespace: options.namespace, serviceName: options.serviceName, defaultDimensions: { [DIMENSION.functionName]: functionName, [DIMENSION.alias]: alias } });
      byAlias.set(key, writer);
    }
    return writer;
  };
  /** Powertools' document for this function, alias and version, or null when Powertools is switched off. */
  const documentFor = (functionName: string, alias: string, version: string): EmfOutput | null => {
    const key = `${functionName}\u0000${alias}\u0000${version}`;
    let document = documents.get(key);
    if (document === undefined) {
      const metrics = writerFor(functionName, alias);
      metrics.addDimension(DIMENSION.version, version);
      metrics.addDimensions({});
      metrics.addMetric(METRIC.requests, MetricUnit.Count, 1, MetricResolution.High);
      metrics.addMetric(METRIC.serverErrors, MetricUnit.Count, 0, MetricResolution.High);
      metrics.addMetric(METRIC.clientErrors, MetricUnit.Count, 0, MetricResolution.High);
      metrics.addMetric(METRIC.latency, MetricUnit.Milliseconds, 0, MetricResolution.High);
      document = metrics.enabled ? metrics.serializeMetrics() : null;
      metrics.clearMetrics();
      metrics.clearDimensions();
      documents.set(key, document);
    }
    return document;
  };
  return {
    publish(outcome) {
      const document = documentFor(outcome.functionName, aliasOf(outcome.invokedFunctionArn), outcome.functionVersion);
      if (document === null) return;
      const status = outcome.statusCode;
      // Spreading keeps every key where Powertools put it; only the values change.
      const invocation: EmfOutput = {
        ...document,
        _aws: { ...document._aws, Timestamp: Date.now() },
        [METRIC.requests]: 1,
        [METRIC.serverErrors]: status === undefined || status >= 500 ? 1 : 0,
        [METRIC.clientErrors]: status !== undefined && status >= 400 && status < 500 ? 1 : 0,
        [METRIC.latency]: Math.round(outcome.latencyMs * 100) / 100,
      };
      stdout.log(JSON.stringify(invocation));
    },
  };
}
