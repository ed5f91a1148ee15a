/**
 * The events the release step invokes a new version with before it gets any traffic. Each
 * returns a 2xx on a healthy deployment: the health probe, an idempotent POST of one fixed
 * smoke item (repeating it is always a 200), and a GET of that item.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { restProxyEvent } from "./proxy-event";
import { ROUTES, type HandlerName } from "./routes";

/** The fixed todo the smoke POST writes; its id can never collide with a poster's `tNN-NNNN`. */
export const SMOKE_TODO = { todoId: "smoke-check", title: "release smoke check" } as const;

interface SmokeRequest {
  readonly handler: HandlerName;
  readonly path: string;
  readonly pathParameters?: Record<string, string>;
  readonly body?: string;
}

/** A REST proxy event (payload 1.0) as API Gateway would send it for `request`. */
function proxyEvent(request: SmokeRequest): APIGatewayProxyEvent {
  const route = ROUTES.find((r) => r.handler === request.handler);
  if (!route) throw new Error(`no route serves handler ${request.handler}`);
  const json = { "content-type": "application/json" };
  return restProxyEvent({
    method: route.method,
    resource: route.path,
    path: request.path,
    headers: request.body === undefined ? null : { single: json, multi: { "content-type": [json["content-type"]] } },
    pathParameters: request.pathParameters ?? null,
    body: request.body ?? null,
    stage: "smoke",
    apiId: "smoke",
    sourceIp: "127.0.0.1",
    userAgent: "shiftline-release-smoke",
    requestId: `smoke-${request.handler}`,
    requestTimeEpoch: 0,
  });
}

export const smokeEvents: ReadonlyArray<{ readonly name: string; readonly event: APIGatewayProxyEvent }> = [
  { name: "GET /health", event: proxyEvent({ handler: "health", path: "/health" }) },
  { name: "POST /todo (smoke item)", event: proxyEvent({ handler: "createTodo", path: "/todo", body: JSON.stringify(SMOKE_TODO) }) },
  {
    name: "GET /todo/{todoId} (smoke item)",
    event: proxyEvent({ handler: "getTodo", path: `/todo/${SMOKE_TODO.todoId}`, pathParameters: { todoId: SMOKE_TODO.todoId } }),
  },
];
