/** Builds API Gateway REST proxy events the way the local server (and API Gateway) does. */
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { matchRoute } from "../../lambda-src/router";
import { ROUTES } from "../../lambda-src/routes";
import { localContext, toProxyEvent } from "../../local/proxy-event";

export interface RequestSpec {
  readonly method: string;
  /** Path with optional query, e.g. `/names?name=John`. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/** The event for `spec`; for a path no route matches, `resource` is the path itself. */
export function apiEvent(spec: RequestSpec): APIGatewayProxyEvent {
  const path = spec.url.split("?")[0];
  const match = matchRoute(ROUTES, spec.method, path);
  const route = match.kind === "found" ? { resource: match.route.path, pathParameters: match.pathParameters } : { resource: path, pathParameters: {} };
  const rawHeaders = Object.entries(spec.headers ?? {}).flat();
  const body = spec.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body, "utf8");
  return toProxyEvent({ method: spec.method, url: spec.url, rawHeaders, body, sourceIp: "127.0.0.1" }, route);
}

/** A JSON POST /todo with no content type, as seed 000's poster sends it. */
export function postTodo(body: unknown, headers: Readonly<Record<string, string>> = {}): APIGatewayProxyEvent {
  return apiEvent({ method: "POST", url: "/todo", body: typeof body === "string" ? body : JSON.stringify(body), headers });
}

export function lambdaContext(functionVersion = "7"): Context {
  return localContext({ functionName: "shiftline-api-test", functionVersion, timeoutMs: 10_000 });
}
