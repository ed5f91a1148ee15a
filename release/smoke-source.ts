/**
 * The smoke events come from lambda-src/smoke-events.ts: the service owns them, because they
 * must pass on any healthy deployment of it. A static import lets the compiler hold both
 * sides to the contract `ReadonlyArray<{ name; event: APIGatewayProxyEvent }>`.
 */
import { smokeEvents } from "../lambda-src/smoke-events";
import type { SmokeEvent } from "./gate";

export function loadSmokeEvents(): readonly SmokeEvent[] {
  return smokeEvents;
}
