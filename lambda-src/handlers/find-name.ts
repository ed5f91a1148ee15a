import type { APIGatewayProxyEvent } from "aws-lambda";
import * as z from "zod/mini";
import { renderValue, type Problem } from "../../lib/validation";
import { emptyResult, HttpError, jsonResult } from "../http";
import { nameSchema, parseRequest } from "../input";
import { nameExists } from "../store";
import type { RouteHandler } from "./types";

const querySchema = z.object({ name: nameSchema });

/** Every query parameter with all its values (API Gateway fills both maps; the multi-value one is complete). */
function queryValues(event: Pick<APIGatewayProxyEvent, "queryStringParameters" | "multiValueQueryStringParameters">): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const [key, list] of Object.entries(event.multiValueQueryStringParameters ?? {})) if (list) values.set(key, [...list]);
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined && !values.has(key)) values.set(key, [value]);
  return values;
}

/** Seed 002: `?name=John` → 200 with JSON when the name is stored, 404 with an empty body when not. */
export const findName: RouteHandler = async ({ event, deps, signal, logger }) => {
  const query = queryValues(event);
  const problems: Problem[] = [];
  for (const [key, list] of query) {
    if (key !== "name") problems.push({ field: key, value: renderValue(list.length === 1 ? list[0] : list), message: "is not a query parameter of GET /names; send only name." });
  }
  const names = query.get("name") ?? [];
  if (names.length > 1) problems.push({ field: "name", value: renderValue(names), message: `is given ${names.length} times; pass it once, e.g. ?name=John.` });
  if (problems.length > 0) throw new HttpError(400, `GET /names query is invalid: ${problems.length} problem${problems.length === 1 ? "" : "s"}; see errors.`, problems);
  const { name } = parseRequest(querySchema, { name: names[0] }, "GET /names query", ["name"], "(query)");
  const found = await nameExists(deps, name, signal);
  logger.append({ outcome: found ? "found" : "not found" });
  return found ? jsonResult(200, { name }) : emptyResult(404);
};
