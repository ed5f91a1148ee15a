/**
 * Structured JSON logs (Powertools). One service logger per container; each invocation logs
 * through a request log that adds that request's keys to every line it writes. The keys live
 * in the request log, never in the shared logger, so nothing carries over to the next request
 * (seed 003) and concurrent local invocations never mix their ids.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Logger } from "@aws-lambda-powertools/logger";
import type { LogAttributes } from "@aws-lambda-powertools/logger/types";

/** Reads POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL from the function environment. */
export function createServiceLogger(): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "shiftline-api" });
}

export interface RequestLog {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
  /** Adds keys to every later line of this request only. */
  append(attributes: LogAttributes): void;
}

/**
 * A request-scoped view of `base`. Cheaper than `createChild()` (which builds a whole Logger,
 * about 0.15 ms a request) and it writes the same Powertools JSON, with the Lambda context keys
 * under the names Powertools uses.
 */
export function requestLog(base: Logger, keys: LogAttributes): RequestLog {
  const own: LogAttributes = { ...keys };
  return {
    debug: (message, attributes) => base.debug(message, { ...own, ...attributes }),
    info: (message, attributes) => base.info(message, { ...own, ...attributes }),
    warn: (message, attributes) => base.warn(message, { ...own, ...attributes }),
    error: (message, attributes) => base.error(message, { ...own, ...attributes }),
    append: (attributes) => void Object.assign(own, attributes),
  };
}

const currentRequest = new AsyncLocalStorage<RequestLog>();

/**
 * Runs one invocation's work with `log` as its request log, so code that is shared by every
 * request (the SDK client's logger) writes through the request log of the call it serves and
 * its lines carry that request's ids. AsyncLocalStorage follows the awaits of that work only,
 * so concurrent local invocations never see each other's log.
 * https://nodejs.org/docs/latest-v20.x/api/async_context.html#class-asynclocalstorage
 */
export function withRequestLog<T>(log: RequestLog, work: () => Promise<T>): Promise<T> {
  return currentRequest.run(log, work);
}

/** The request log of the invocation running now, if any (none during the init phase). */
export function currentRequestLog(): RequestLog | undefined {
  return currentRequest.getStore();
}
