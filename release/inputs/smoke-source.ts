/**
 * The smoke events come from lambda-src/smoke-events.ts: the service owns them, because they
 * must pass on any healthy deployment of it. A static import lets the compiler hold both
 * sides to the contract `ReadonlyArray<{ name; event: APIGatewayProxyEvent }>`.
 */
import { randomBytes } from "node:crypto";
import { smokeEvents } from "../../lambda-src/smoke-events";

/** One event the smoke gate invokes the target version with, directly (release/engine/smoke-gate.ts). */
export interface SmokeEvent {
  readonly name: string;
  readonly event: unknown;
}

/** Where a release run releases; names its smoke item (e.g. `smoke-prod-live-…`). */
export interface SmokeTarget {
  /** The stack's environment; absent when the release was given explicit inputs. */
  readonly environment?: string;
  readonly alias: string;
}

/**
 * The smoke events of one release run, around a todo only this run writes: its id ends in
 * 128 random bits drawn here, so nobody can create it first through the public API and two
 * runs at once (other stages, other stacks on the same table) never share it.
 */
export function loadSmokeEvents(target?: SmokeTarget, random: (bytes: number) => Buffer = randomBytes): readonly SmokeEvent[] {
  const label = target === undefined ? "release" : [target.environment, target.alias].filter((part) => part !== undefined).join("-");
  return smokeEvents({ label, nonce: random(16).toString("hex") });
}
