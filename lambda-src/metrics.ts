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
import { Metrics, MetricResolution, MetricUnit } from "@aws-lambda-powertools/metrics";
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
 */
export function createRequestMetrics(options: RequestMetricsOptions = {}): RequestMetrics {
  const byAlias = new Map<string, Metrics>();
  const writerFor = (functionName: string, alias: string): Metrics => {
    const key = `${functionName}\u0000${alias}`;
    let writer = byAlias.get(key);
    if (writer === undefined) {
      writer = new Metrics({ namespace: options.namespace, serviceName: options.serviceName, defaultDimensions: { [DIMENSION.functionName]: functionName, [DIMENSION.alias]: alias } });
      byAlias.set(key, writer);
    }
    return writer;
  };
  return {
    publish(outcome) {
      const metrics = writerFor(outcome.functionName, aliasOf(outcome.invokedFunctionArn));
      metrics.addDimension(DIMENSION.version, outcome.functionVersion);
      metrics.addDimensions({});
      const status = outcome.statusCode;
      metrics.addMetric(METRIC.requests, MetricUnit.Count, 1, MetricResolution.High);
      metrics.addMetric(METRIC.serverErrors, MetricUnit.Count, status === undefined || status >= 500 ? 1 : 0, MetricResolution.High);
      metrics.addMetric(METRIC.clientErrors, MetricUnit.Count, status !== undefined && status >= 400 && status < 500 ? 1 : 0, MetricResolution.High);
      metrics.addMetric(METRIC.latency, MetricUnit.Milliseconds, Math.round(outcome.latencyMs * 100) / 100, MetricResolution.High);
      metrics.publishStoredMetrics();
    },
  };
}
