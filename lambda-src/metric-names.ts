/**
 * Names of the function's request metrics (written by lambda-src/metrics.ts), as pure data so
 * the infrastructure program (alarms) and the release step (queries) share them without loading
 * Powertools or any handler code.
 */

/** The namespace when the stack sets none (shiftline:metricsNamespace). */
export const DEFAULT_METRICS_NAMESPACE = "Shiftline";

/** The metric names, shared with the alarms and the release step's queries. */
export const METRIC = {
  requests: "Requests",
  serverErrors: "ServerErrors",
  clientErrors: "ClientErrors",
  latency: "Latency",
} as const;

/** The dimension names, shared with the alarms and the release step's queries. */
export const DIMENSION = { functionName: "FunctionName", alias: "Alias", version: "Version" } as const;

/** The `Alias` value of an invocation of a numbered version (`function:name:7`), such as the smoke gate's. */
export const DIRECT_VERSION = "(version)";
/** The `Alias` value of an unqualified invocation, which runs `$LATEST`. */
export const UNQUALIFIED = "(unqualified)";

