/**
 * The API Gateway (REST, proxy payload 1.0) entry: route, run the handler, turn every failure
 * into a JSON answer without internals, stamp `x-function-version`, log one line per request.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { ValidationError } from "../lib/validation";
import { isTemporaryAwsFailure, serviceUnavailable } from "./aws-errors";
import type { Dependencies } from "./dependencies";
import { HANDLERS } from "./handlers";
import { requestLog, withRequestLog, type RequestLog } from "./logger";
import type { RequestMetrics } from "./metrics";
import { errorResult, HttpError } from "./http";
import { matchRoute, type RouteMatch } from "./router";
import { ROUTES } from "./routes";

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ApiHandlerOptions {
  /** The container's logger; each invocation logs through a request log over it. */
  readonly logger: Logger;
  /** Returns the container's dependencies (created once per container, see loadDependencies). */
  readonly dependencies: () => Dependencies;
  /**
   * Time kept back from `context.getRemainingTimeInMillis()`: DynamoDB calls still running
   * when only this much is left are aborted, so the client gets a 503 with Retry-After from
   * the function instead of a 502 from API Gateway when Lambda ends it. Defaults to 1 000 ms.
   */
  readonly deadlineReserveMs?: number;
  /**
   * Where each invocation's request metrics go (lambda-src/metrics.ts): published once per
   * invocation, also when the handler throws. Defaults to none (tools and tests that only
   * want the answers).
   */
  readonly metrics?: RequestMetrics;
}

/** Aborts this invocation's DynamoDB calls when its time is nearly up. */
class InvocationDeadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(readonly budgetMs: number) {
    this.timer = setTimeout(() => this.controller.abort(new Error(`invocation deadline of ${budgetMs} ms reached`)), budgetMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/**
 * API Gateway sends the matched resource template in `resource` and decoded `pathParameters`.
 * Each route's resource also has an `ANY` method, so a known path with another method
 * (HEAD, OPTIONS, PATCH, DELETE, …) reaches the function too and is answered 405 with Allow
 * here, from the resource alone: `path` may carry a custom domain's base path. Anything else
 * (a proxy resource, a hand-made event) is matched on `path`.
 */
function routeFor(event: APIGatewayProxyEvent): RouteMatch {
  const onResource = ROUTES.filter((r) => r.path === event.resource);
  if (onResource.length > 0) {
    const route = onResource.find((r) => r.method === event.httpMethod.toUpperCase());
    if (!route) return { kind: "method-not-allowed", allow: [...new Set(onResource.map((r) => r.method))].sort() };
    const pathParameters: Record<string, string> = {};
    for (const [key, value] of Object.entries(event.pathParameters ?? {})) if (value !== undefined) pathParameters[key] = value;
    return { kind: "found", route, pathParameters };
  }
  return matchRoute(ROUTES, event.httpMethod, event.path);
}

function toErrorResult(err: unknown, logger: RequestLog, requestId: string, deadline: InvocationDeadline): APIGatewayProxyResult {
  if (err instanceof HttpError) return errorResult(err);
  if (deadline.signal.aborted) {
    logger.warn("database did not answer before the invocation deadline", { error: err as Error, deadlineMs: deadline.budgetMs });
    return errorResult(serviceUnavailable());
  }
  if (isTemporaryAwsFailure(err)) {
    logger.warn("database temporarily unavailable", { error: err as Error });
    return errorResult(serviceUnavailable());
  }
  // A stored item that fails its schema, a missing table, a bug: the client gets a request id
  // to quote, the log gets the cause.
  if (err instanceof ValidationError) {
    // Its message quotes the stored values (titles people typed); the fields and rules are enough.
    logger.error("stored data failed validation", { subject: err.subject, problems: err.problems.map((p) => ({ field: p.field, rule: p.message })) });
  } else {
    logger.error("unexpected failure", { error: err as Error });
  }
  return errorResult(new HttpError(500, `internal error; nothing more is known to the client. Quote request id ${requestId} when reporting it.`));
}

export function createApiHandler(options: ApiHandlerOptions): ApiHandler {
  const answer = createAnswering(options);
  const metrics = options.metrics;
  if (metrics === undefined) return answer;
  return async (event, context) => {
    const started = performance.now();
    let statusCode: number | undefined;
    try {
      const result = await answer(event, context);
      statusCode = result.statusCode;
      return result;
    } finally {
      // In `finally`, so an invocation that throws (Lambda then reports an error and the
      // caller gets a 502) is still counted, as a server error.
      metrics.publish({ functionName: context.functionName, invokedFunctionArn: context.invokedFunctionArn, functionVersion: context.functionVersion, statusCode, latencyMs: performance.now() - started });
    }
  };
}

function createAnswering(options: ApiHandlerOptions): ApiHandler {
  const reserveMs = options.deadlineReserveMs ?? 1_000;
  // Container state, not request data: whether this container has served a request yet.
  // Provisioned-concurrency containers initialise ahead of traffic, so they never start cold.
  let firstInvocation = process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== "provisioned-concurrency";
  return async (event, context) => {
    const started = performance.now();
    const functionVersion = context.functionVersion;
    const coldStart = firstInvocation;
    firstInvocation = false;
    const logger = requestLog(options.logger, {
      cold_start: coldStart,
      function_arn: context.invokedFunctionArn,
      function_name: context.functionName,
      function_memory_size: context.memoryLimitInMB,
      function_request_id: context.awsRequestId,
      function_version: functionVersion,
      api_request_id: event.requestContext?.requestId,
      method: event.httpMethod,
      resource: event.resource,
    });
    let result: APIGatewayProxyResult;
    const deadline = new InvocationDeadline(Math.max(0, context.getRemainingTimeInMillis() - reserveMs));
    try {
      const match = routeFor(event);
      if (match.kind === "not-found") {
        throw new HttpError(404, `no route for ${event.httpMethod} ${event.path}; see the routes in the README.`);
      }
      if (match.kind === "method-not-allowed") {
        throw new HttpError(405, `${event.httpMethod} is not allowed on ${event.path}; use ${match.allow.join(" or ")}.`, [], { allow: match.allow.join(", ") });
      }
      // The SDK client's log lines for this request's calls go through this request's log.
      const handle = HANDLERS[match.route.handler];
      result = await withRequestLog(logger, () => handle({ event, pathParameters: match.pathParameters, functionVersion, deps: options.dependencies(), signal: deadline.signal, logger }));
    } catch (err) {
      result = toErrorResult(err, logger, context.awsRequestId, deadline);
    } finally {
      deadline.clear();
    }
    result = { ...result, headers: { ...result.headers, "x-function-version": functionVersion } };
    logger.info("request handled", { statusCode: result.statusCode, durationMs: Math.round((performance.now() - started) * 100) / 100 });
    return result;
  };
}
