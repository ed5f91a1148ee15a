import { jsonResult } from "../http";
import { probeTables } from "../store";
import type { RouteHandler } from "./types";

/** GET /health: 200 when both tables answer a read; the release step's smoke check calls it first. */
export const health: RouteHandler = async ({ deps, functionVersion, signal }) => {
  await probeTables(deps, signal);
  return jsonResult(200, { status: "ok", functionVersion });
};
