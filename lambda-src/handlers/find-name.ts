import * as z from "zod/mini";
import { renderValue } from "../../lib/validation";
import { emptyResult, jsonResult } from "../http";
import { nameSchema, parseRequest } from "../input";
import { queryValues, throwQueryProblems, unknownQueryProblems } from "../query";
import { nameExists } from "../store";
import type { RouteHandler } from "./types";

const querySchema = z.object({ name: nameSchema });

/** Seed 002: `?name=John` → 200 with JSON when the name is stored, 404 with an empty body when not. */
export const findName: RouteHandler = async ({ event, deps, signal, logger }) => {
  const query = queryValues(event);
  const problems = unknownQueryProblems(query, "GET /names", ["name"]);
  const names = query.get("name") ?? [];
  if (names.length > 1) problems.push({ field: "name", value: renderValue(names), message: `is given ${names.length} times; pass it once, e.g. ?name=John.` });
  throwQueryProblems("GET /names", problems);
  const { name } = parseRequest(querySchema, { name: names[0] }, "GET /names query", ["name"], "(query)");
  const found = await nameExists(deps, name, signal);
  logger.append({ outcome: found ? "found" : "not found" });
  return found ? jsonResult(200, { name }) : emptyResult(404);
};
