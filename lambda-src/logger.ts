/**
 * Structured JSON logs (Powertools). One service logger per container; each invocation logs
 * through a request log that adds that request's keys to every line it writes. The keys live
 * in the request log, never in the shared logger, so nothing carries over to the next request
 * (seed 003) and concurrent local invocations never mix their ids.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Logger, LogLevelThreshold } from "@aws-lambda-powertools/logger";
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
  /** Whether a DEBUG line would be written now; callers skip building what would be dropped. */
  debugEnabled(): boolean;
}

/**
 * Whether `logger` writes DEBUG lines now. Powertools prints a line only when its level is at
 * or above `logger.level`, read per call because the level may change per invocation (debug
 * sampling, `setLogLevel`) (@aws-lambda-powertools/logger `lib/cjs/Logger.js` `processLogItem`;
 * https://docs.powertools.aws.dev/lambda/typescript/latest/core/logger/#log-levels). Valid for
 * loggers without a log buffer, which could keep lines below the level: none here is given one.
 */
export function debugEnabled(logger: Logger): boolean {
  return logger.level <= LogLevelThreshold.DEBUG;
}

/**
 * A request-scoped view of `base`. Cheaper than `createChild()` (which builds a whole Logger,
 * about 0.15 ms a request) and it writes the same Powertools JSON, with the Lambda context keys
 * under the names Powertools uses. One small object per request (methods on the prototype, no
 * closures); a DEBUG line the level drops costs no copy of the request's keys.
 */
class RequestScopedLog implements RequestLog {
  private readonly own: LogAttributes;

  constructor(
    private readonly base: Logger,
    keys: LogAttributes,
  ) {
    this.own = { ...keys };
  }

  debug(message: string, attributes?: LogAttributes): void {
    if (debugEnabled(this.base)) this.base.debug(message, { ...this.own, ...attributes });
  }

  info(message: string, attributes?: LogAttributes): void {
    this.base.info(message, { ...this.own, ...attributes });
  }

  warn(message: string, attributes?: LogAttributes): void {
    this.base.warn(message, { ...this.own, ...attributes });
  }

  error(message: string, attributes?: LogAttributes): void {
    this.base.error(message, { ...this.own, ...attributes });
  }

  append(attributes: LogAttributes): void {
    Object.assign(this.own, attributes);
  }

  debugEnabled(): boolean {
    return debugEnabled(this.base);
  }
}

export function requestLog(base: Logger, keys: LogAttributes): RequestLog {
  return new RequestScopedLog(base, keys);
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
