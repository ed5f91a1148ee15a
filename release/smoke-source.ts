/**
 * Loads the smoke events from lambda-src/smoke-events.ts (the service owns them: they must
 * pass on any healthy deployment) and checks their shape at this boundary.
 */
import * as path from "node:path";
import { z } from "zod";
import { parseOrThrow } from "../lib/validation";
import type { SmokeEvent } from "./gate";

const smokeEventsSchema = z
  .array(
    z.object({
      name: z.string().min(1, { error: "each smoke event needs a name." }),
      event: z.looseObject({
        httpMethod: z.string({ error: "event.httpMethod must be set (an API Gateway proxy event)." }),
        path: z.string({ error: "event.path must be set (an API Gateway proxy event)." }),
      }),
    }),
  )
  .min(1, { error: "smokeEvents must hold at least one event (GET /health at least)." });

export const SMOKE_EVENTS_MODULE = path.join(__dirname, "..", "lambda-src", "smoke-events");

export function loadSmokeEvents(modulePath: string = SMOKE_EVENTS_MODULE): SmokeEvent[] {
  // Loaded at run time so `--dry-run` and `--no-smoke` work without the service's sources.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as { smokeEvents?: unknown };
  return parseOrThrow(smokeEventsSchema, mod.smokeEvents, "lambda-src/smoke-events.ts", "smokeEvents");
}
