import { readJsonBody } from "../body";
import { HttpError, jsonResult } from "../http";
import { createTodoBodySchema, parseRequest } from "../input";
import { renderValue } from "../../lib/validation";
import { isReleaseSmoke, smokeItemExpiry } from "../smoke-events";
import { putTodoIfAbsent } from "../store";
import type { RouteHandler } from "./types";

/**
 * POST /todo (seed 000). Answers `{"message":"ok"}` when the todo is stored, and again when the
 * same todoId + title is repeated (no second item); the same todoId with another title is a
 * 409 and the stored item stays as it was.
 */
export const createTodo: RouteHandler = async ({ event, functionVersion, deps, signal, logger }) => {
  const body = parseRequest(createTodoBodySchema, readJsonBody(event), "POST /todo body", ["todoId", "title"]);
  logger.append({ todoId: body.todoId });
  const now = deps.now();
  // Only the release step's own smoke item expires; see lambda-src/smoke-events.ts.
  const expiresAt = isReleaseSmoke(event) ? smokeItemExpiry(now) : undefined;
  const outcome = await putTodoIfAbsent(deps, { ...body, createdAt: now, lambdaVersion: functionVersion }, signal, expiresAt);
  if (outcome.kind === "exists" && outcome.existing.title !== body.title) {
    logger.append({ outcome: "conflict" });
    throw new HttpError(409, `todoId ${body.todoId} already exists with a different title; nothing was changed.`, [
      { field: "todoId", value: renderValue(body.todoId), message: "is already used by a todo with another title; choose a new todoId, or repeat the original title to retry safely." },
    ]);
  }
  logger.append({ outcome: outcome.kind === "created" ? "stored" : "already stored with this title" });
  return jsonResult(200, { message: "ok" });
};
