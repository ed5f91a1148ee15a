import assert from "node:assert/strict";
import { matchRoute, type RouteMatch } from "../../lambda-src/router";
import { ROUTES } from "../../lambda-src/routes";

function summary(match: RouteMatch): unknown {
  if (match.kind === "found") return { handler: match.route.handler, params: match.pathParameters };
  if (match.kind === "method-not-allowed") return { allow: match.allow };
  return "not-found";
}

describe("route matching", () => {
  const cases: Array<[method: string, path: string, expected: unknown]> = [
    ["POST", "/todo", { handler: "createTodo", params: {} }],
    ["post", "/todo", { handler: "createTodo", params: {} }],
    ["POST", "/todo/", { handler: "createTodo", params: {} }],
    ["GET", "/todo/t01-0001", { handler: "getTodo", params: { todoId: "t01-0001" } }],
    ["GET", "/todo/%E3%82%A2%20b", { handler: "getTodo", params: { todoId: "ア b" } }],
    ["GET", "/names", { handler: "findName", params: {} }],
    ["GET", "/health", { handler: "health", params: {} }],
    ["GET", "/todo", { allow: ["POST"] }],
    ["DELETE", "/todo/t01-0001", { allow: ["GET"] }],
    ["POST", "/names", { allow: ["GET"] }],
    ["GET", "/", "not-found"],
    ["GET", "/todos", "not-found"],
    ["GET", "/todo/a/b", "not-found"],
    ["GET", "/todo/%E3%82", "not-found"],
  ];
  for (const [method, path, expected] of cases) {
    it(`maps ${method} ${path} to ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(summary(matchRoute(ROUTES, method, path)), expected);
    });
  }

  it("reaches every route in the table", () => {
    for (const route of ROUTES) {
      const path = route.path.replace(/\{\w+\}/g, "x1");
      const match = matchRoute(ROUTES, route.method, path);
      assert.equal(match.kind === "found" && match.route, route, `${route.method} ${route.path}`);
    }
  });
});
