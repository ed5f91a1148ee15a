/**
 * Matches a method and path against the route table. Pure (no SDK, no handlers), so the
 * Lambda entry and the local server dispatch the same way.
 */
import type { HttpMethod, Route } from "./routes";

export type RouteMatch =
  | { readonly kind: "found"; readonly route: Route; readonly pathParameters: Readonly<Record<string, string>> }
  | { readonly kind: "method-not-allowed"; readonly allow: readonly HttpMethod[] }
  | { readonly kind: "not-found" };

/**
 * The segments of a path, or undefined when it has an empty one. One trailing slash is ignored,
 * as API Gateway REST APIs serve `/todo/` with the `/todo` resource (aws/aws-sam-cli#1495 made
 * `sam local` match that; the proxy event's `path` keeps the slash). An empty segment anywhere
 * else (`//todo`, `/todo//`) names no resource: such a path is not found.
 */
function segments(path: string): string[] | undefined {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  if (!trimmed.startsWith("/")) return undefined;
  if (trimmed === "/") return [];
  const parts = trimmed.slice(1).split("/");
  return parts.includes("") ? undefined : parts;
}

/**
 * Path parameters from a concrete path, or undefined when the template does not fit.
 * Values are percent-decoded, as API Gateway REST APIs deliver them in `pathParameters`.
 */
export function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const want = segments(template);
  const got = segments(path);
  if (!want || !got || want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const param = /^\{(\w+)\}$/.exec(part);
    if (param) {
      try {
        params[param[1]] = decodeURIComponent(got[i]);
      } catch {
        return undefined;
      }
    } else if (part !== got[i]) {
      return undefined;
    }
  }
  return params;
}

/** Finds the route for `method` + `path`; tells a wrong method (405 + Allow) from an unknown path (404). */
export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  const allow: HttpMethod[] = [];
  for (const route of routes) {
    const pathParameters = matchTemplate(route.path, path);
    if (!pathParameters) continue;
    if (route.method === method.toUpperCase()) return { kind: "found", route, pathParameters };
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: "method-not-allowed", allow: [...new Set(allow)].sort() } : { kind: "not-found" };
}
