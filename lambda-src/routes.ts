/**
 * The route table: the single source of truth for every method and path the API serves.
 * The API Gateway component builds its resources and methods from it, and the local server
 * and the Lambda router dispatch with it. Pure data, so the infrastructure program can
 * import it without loading any handler code or SDK client.
 */

/** Names of the Lambda functions built from lambda-src (one bundle and zip each). */
export const FUNCTION_NAMES = ["api"] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";

/** Handler keys; `lambda-src/handlers` maps each to its implementation. */
export type HandlerName = "createTodo" | "getTodo" | "findName" | "health";

export interface Route {
  readonly method: HttpMethod;
  /** API Gateway resource path; `{param}` segments become path parameters. */
  readonly path: string;
  readonly handler: HandlerName;
  /** The function (bundle) that serves this route. */
  readonly function: FunctionName;
  /** One line for docs and the API description. */
  readonly summary: string;
}

export const ROUTES: readonly Route[] = [
  { method: "POST", path: "/todo", handler: "createTodo", function: "api", summary: "Store a todo (idempotent on todoId + title)." },
  { method: "GET", path: "/todo/{todoId}", handler: "getTodo", function: "api", summary: "Read one todo, with the version that wrote it." },
  { method: "GET", path: "/names", handler: "findName", function: "api", summary: "Look up ?name=…; 200 with JSON, or 404 with an empty body." },
  { method: "GET", path: "/health", handler: "health", function: "api", summary: "Liveness and table reachability; used by smoke invocations." },
];
