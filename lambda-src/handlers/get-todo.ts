import * as z from "zod/mini";
import { HttpError, jsonResult } from "../http";
import { parseRequest, todoIdSchema } from "../input";
import { renderValue } from "../../lib/validation";
import { queryValues, throwQueryProblems, unknownQueryProblems } from "../query";
import { getTodo as readTodo } from "../store";
import type { RouteHandler } from "./types";

const pathSchema = z.object({ todoId: todoIdSchema });

/** GET /todo/{todoId}: the stored item, including `createdAt` and the `lambdaVersion` that wrote it. */
export const getTodo: RouteHandler = async ({ event, pathParameters, deps, signal }) => {
  throwQueryProblems("GET /todo/{todoId}", unknownQueryProblems(queryValues(event), "GET /todo/{todoId}", []));
  const { todoId } = parseRequest(pathSchema, pathParameters, "GET /todo/{todoId} path", ["todoId"], "(path)");
  const todo = await readTodo(deps, todoId, signal);
  if (!todo) {
    throw new HttpError(404, `no todo with todoId ${todoId}.`, [
      { field: "todoId", value: renderValue(todoId), message: "is not stored; POST /todo creates it first." },
    ]);
  }
  return jsonResult(200, todo);
};
