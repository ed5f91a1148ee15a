/**
 * How much traffic the rule needs before it can call a release healthy: the figure a schedule
 * (step size × request rate × bake) and an evidence deadline must allow for.
 */
import { trialsToShowBelow } from "./sequential";
import type { DecisionSettings } from "./settings";

/**
 * Failure-free target requests after which the error signal is called healthy, for a previous
 * version failing at `previousRate` (a fraction; omit to use the fixed fallback rate). Undefined
 * when no finite number suffices.
 */
export function requestsToShowHealth(s: DecisionSettings, previousRate?: number): number | undefined {
  const allowance = previousRate === undefined ? s.fallbackErrorRatePercent / 100 : previousRate * (1 + s.relativeTolerance);
  const bound = Math.min(1, allowance + s.healthMarginPercent / 100);
  const n = trialsToShowBelow(bound, Math.log(1 / s.beta));
  return n === undefined ? undefined : Math.max(n, s.minTargetRequests);
}
