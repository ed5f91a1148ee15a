/**
 * The events the release step invokes a new version with before it gets any traffic. Each
 * returns a 2xx on a healthy deployment: the health probe, a POST of a todo that belongs to
 * this one release run, and a GET of that todo.
 *
 * Why the smoke item cannot be blocked or shared, and does not pile up:
 * - Its todoId is `smoke-<label>-<nonce>`, where the nonce is 128 random bits drawn by the
 *   release step for each run (release/inputs/smoke-source.ts). Nobody can create that item first
 *   through the public API, so the POST never meets someone else's item (which would be a 409),
 *   and two releases running at once (different stages, or stacks sharing a table) never
 *   write or read each other's item.
 * - The events are marked as the release step's own direct invocation in `requestContext`.
 *   API Gateway builds `requestContext` itself for every proxy request; a client controls
 *   only the method, path, query, headers and body
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format),
 *   so no request through the API carries the mark. Only a caller allowed to invoke the
 *   function directly can send it.
 * - For a marked POST the handler stores the item with an expiry (SMOKE_ITEM_TTL_SECONDS),
 *   which the table's DynamoDB TTL acts on (components/service-tables.ts); items the public
 *   API writes never get one.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { restProxyEvent } from "./proxy-event";
import { ROUTES, type HandlerName } from "./routes";

/** Every smoke todoId starts with this. */
export const SMOKE_TODO_PREFIX = "smoke-";
/** The title of every smoke item. */
export const SMOKE_TODO_TITLE = "release smoke check";
/**
 * How long a smoke item is kept before DynamoDB may delete it: a day, long enough to look at
 * the item of a failed release. DynamoDB deletes expired items typically within two days
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html).
 */
export const SMOKE_ITEM_TTL_SECONDS = 24 * 60 * 60;
/** The key in `requestContext` that marks the release step's own invocation; API Gateway never sends it. */
export const SMOKE_CONTEXT_KEY = "shiftlineReleaseSmoke";

/** The longest todoId the API accepts (lambda-src/input.ts). */
const TODO_ID_MAX = 64;
const NONCE = /^[0-9a-f]{32}$/;

/** One release run's smoke check. */
export interface SmokeRun {
  /** Says where the run releases, e.g. `prod-live`; cleaned and shortened to fit the todoId. */
  readonly label: string;
  /** 32 lowercase hex digits (128 random bits), drawn anew for each run. */
  readonly nonce: string;
}

/** `smoke-<label>-<nonce>`: at most 64 characters of letters, digits and `-`, a valid todoId. */
export function smokeTodoId(run: SmokeRun): string {
  if (!NONCE.test(run.nonce)) throw new Error(`smoke nonce = ${JSON.stringify(run.nonce)}: must be 32 lowercase hex digits (16 random bytes); draw it with crypto.randomBytes(16).toString("hex").`);
  const room = TODO_ID_MAX - SMOKE_TODO_PREFIX.length - 1 - run.nonce.length;
  const label =
    run.label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .slice(0, room)
      .replace(/^-+|-+$/g, "") || "release";
  return `${SMOKE_TODO_PREFIX}${label}-${run.nonce}`;
}

/** Whether the event is the release step's direct invocation (see the mark above). */
export function isReleaseSmoke(event: APIGatewayProxyEvent): boolean {
  return (event.requestContext as unknown as Record<string, unknown> | null | undefined)?.[SMOKE_CONTEXT_KEY] === true;
}

/** The epoch second a smoke item written at `nowMs` expires (DynamoDB TTL wants epoch seconds as a Number). */
export function smokeItemExpiry(nowMs: number): number {
  return Math.floor(nowMs / 1000) + SMOKE_ITEM_TTL_SECONDS;
}

interface SmokeRequest {
  readonly handler: HandlerName;
  readonly path: string;
  readonly pathParameters?: Record<string, string>;
  readonly body?: string;
}

/** A REST proxy event (payload 1.0) as API Gateway would send it for `request`, marked as the release step's. */
function proxyEvent(request: SmokeRequest, run: SmokeRun): APIGatewayProxyEvent {
  const route = ROUTES.find((r) => r.handler === request.handler);
  if (!route) throw new Error(`no route serves handler ${request.handler}`);
  const json = { "content-type": "application/json" };
  const event = restProxyEvent({
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
    requestId: `smoke-${run.nonce}-${request.handler}`,
    requestTimeEpoch: 0,
  });
  return { ...event, requestContext: { ...event.requestContext, [SMOKE_CONTEXT_KEY]: true } as APIGatewayProxyEvent["requestContext"] };
}

/** The smoke events of one run: the health probe, then the POST before the GET that reads it back. */
export function smokeEvents(run: SmokeRun): ReadonlyArray<{ readonly name: string; readonly event: APIGatewayProxyEvent }> {
  const todoId = smokeTodoId(run);
  return [
    { name: "GET /health", event: proxyEvent({ handler: "health", path: "/health" }, run) },
    { name: "POST /todo (smoke item)", event: proxyEvent({ handler: "createTodo", path: "/todo", body: JSON.stringify({ todoId, title: SMOKE_TODO_TITLE }) }, run) },
    { name: "GET /todo/{todoId} (smoke item)", event: proxyEvent({ handler: "getTodo", path: `/todo/${todoId}`, pathParameters: { todoId } }, run) },
  ];
}
