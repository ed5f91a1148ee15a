/**
 * The stage double: the release step's stage-check HTTP port (release/stage-check/http.ts),
 * answered by the simulated alias. Each GET is a real request of the World (routed by the
 * alias's weights at that moment, answered by the version's behaviour, counted in every metric
 * like a user's), then shaped as API Gateway would pass it on:
 * - a good answer: the function's 200 with `x-function-version` (GET /health's body, or the
 *   smoke item for GET /todo/{todoId});
 * - a handled error: the function's own 500 `{message, errors}`, with `x-function-version`;
 * - an unhandled error, or a "gateway" outcome (a result API Gateway cannot map): API Gateway's
 *   own 502 `{"message": "Internal server error"}` with no `x-function-version`
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
 */
import type { StageHttpPort } from "../../release/stage-check/http";
import type { World } from "./world";

export function simStagePort(world: World): StageHttpPort {
  return ({ url }) => {
    const served = world.serve(world.nowMs);
    const path = new URL(url).pathname;
    if (served.kind === "unhandled" || served.kind === "gateway") {
      return Promise.resolve({ status: 502, errorType: "InternalServerErrorException", body: '{"message": "Internal server error"}' });
    }
    if (served.kind === "handled") return Promise.resolve({ status: 500, version: served.version, body: JSON.stringify({ message: "internal error", errors: [] }) });
    const body = path.endsWith("/health") ? { status: "ok", functionVersion: served.version } : { todoId: decodeURIComponent(path.split("/").at(-1) ?? ""), title: "release smoke check" };
    return Promise.resolve({ status: 200, version: served.version, body: JSON.stringify(body) });
  };
}
