/** Query parameters of a proxy event, and the rule that a route accepts only its own. */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { renderValue, type Problem } from "../lib/validation";
import { HttpError } from "./http";

/** Every query parameter with all its values (API Gateway fills both maps; the multi-value one is complete). */
export function queryValues(event: Pick<APIGatewayProxyEvent, "queryStringParameters" | "multiValueQueryStringParameters">): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const [key, list] of Object.entries(event.multiValueQueryStringParameters ?? {})) if (list) values.set(key, [...list]);
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined && !values.has(key)) values.set(key, [value]);
  return values;
}

/** A problem for each parameter `route` does not take; `allowed` may be empty. */
export function unknownQueryProblems(query: ReadonlyMap<string, readonly string[]>, route: string, allowed: readonly string[]): Problem[] {
  const fix = allowed.length === 0 ? "send no query string." : `send only ${allowed.join(" and ")}.`;
  const problems: Problem[] = [];
  for (const [key, list] of query) {
    if (!allowed.includes(key)) problems.push({ field: key, value: renderValue(list.length === 1 ? list[0] : list), message: `is not a query parameter of ${route}; ${fix}` });
  }
  return problems;
}

/** Throws 400 when `problems` is not empty, naming every one. */
export function throwQueryProblems(route: string, problems: readonly Problem[]): void {
  if (problems.length > 0) throw new HttpError(400, `${route} query is invalid: ${problems.length} problem${problems.length === 1 ? "" : "s"}; see errors.`, problems);
}
