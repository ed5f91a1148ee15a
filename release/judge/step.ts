// Wing judge/: pure verdicts over figures: a step, health, throttles, and decision/ (the sequential rule). May import: core.
/**
 * Judging one step on evidence: the decision rule's verdict on the versions (release/judge/decision)
 * combined with what only the alias shows (throttles, alarms). Pure, so the combinations are
 * tested with tables; the controller gathers the figures and acts on the result.
 */
import { requestsToShowHealth, type Action, type Decision, type DecisionSettings } from "./decision";
import type { HealthVerdict } from "./health";
import type { Step } from "../core/schedule";

export interface StepJudgement {
  readonly action: Action;
  /** Why it must roll back (empty otherwise). */
  readonly reasons: readonly string[];
  readonly notes: readonly string[];
}

/**
 * - Evidence of harm, or throttles beyond the alias's usual rate: roll back now.
 * - An alarm that started firing during the release: the alias-wide alarms mix both versions'
 *   traffic, so one that fires while the target is shown no worse than the previous version on
 *   every signal is not blamed on it (a previous version failing at 0.5% keeps an `Errors ≥ 1`
 *   alarm flapping). While the evidence is not yet there, the step holds instead of advancing,
 *   and rolls back at its deadline; it never promotes without evidence while an alarm fires.
 * - Otherwise the rule's own action (advance, hold, deadline).
 */
export function judgeStep(decision: Decision, guard: Pick<HealthVerdict, "newAlarms" | "throttleReason" | "notes">): StepJudgement {
  const notes = [...guard.notes, ...decision.notes];
  if (decision.action === "roll-back") return { action: "roll-back", reasons: [decision.reason], notes };
  if (guard.throttleReason !== undefined) return { action: "roll-back", reasons: [guard.throttleReason], notes };
  const alarms = guard.newAlarms;
  if (alarms.length === 0) {
    if (decision.action === "roll-back-at-deadline") return { action: decision.action, reasons: [decision.reason], notes };
    return { action: decision.action, reasons: [], notes };
  }
  const named = `alarm${alarms.length === 1 ? "" : "s"} ${alarms.join(", ")} in ALARM`;
  if (decision.outcome === "healthy") {
    return { action: decision.action, reasons: [], notes: [...notes, `${named}, but the target is shown no worse than the previous version on every signal, so it is not blamed for it`] };
  }
  if (decision.action === "roll-back-at-deadline" || decision.action === "promote-without-evidence") {
    return { action: "roll-back-at-deadline", reasons: [`${named} and no evidence that the target is healthy by the step's deadline`], notes };
  }
  return { action: "hold", reasons: [], notes: [...notes, `${named}: holding until the target is shown healthy (or the step's deadline)`] };
}

/**
 * Exposure that fits the evidence: the first partial step is raised, when needed, so that at
 * the traffic the alias had before the release it gathers the requests the rule needs to show
 * health within the step's bake. At 10 rps a 10% step of 60 s collects about 600 requests and
 * stays as planned; at 0.5 rps it would collect 30, so it is raised (at most to 100%: the
 * release then goes straight to the final step). Later steps see at least as much traffic.
 * Returns the steps unchanged when the rate is unknown or the step needs no raising.
 */
export function fitFirstStep(steps: readonly Step[], requestsPerSecond: number | undefined, settings: DecisionSettings, previousRate?: number): { steps: Step[]; note?: string } {
  const first = steps.findIndex((s) => s.percent < 100 && s.bakeSeconds > 0);
  const needed = requestsToShowHealth(settings, previousRate);
  if (first < 0 || requestsPerSecond === undefined || requestsPerSecond <= 0 || needed === undefined) return { steps: [...steps] };
  const step = steps[first];
  const wanted = Math.ceil((100 * needed) / (requestsPerSecond * step.bakeSeconds));
  if (wanted <= step.percent) return { steps: [...steps] };
  const rate = `${Number(requestsPerSecond.toPrecision(3))} requests/s`;
  if (wanted >= 100 || steps.slice(first + 1).some((s) => s.percent < 100 && s.percent <= wanted)) {
    // Going straight to 100% keeps the dropped step's bake on the final step, so the only judged step is never lost.
    const rest = steps
      .filter((s, i) => i !== first && (s.percent === 100 || s.percent > Math.min(wanted, 99)))
      .map((s) => (wanted >= 100 && s.percent === 100 ? { ...s, bakeSeconds: Math.max(s.bakeSeconds, step.bakeSeconds) } : s));
    const raised = wanted >= 100 ? rest : [{ percent: wanted, bakeSeconds: step.bakeSeconds }, ...rest];
    return { steps: raised, note: `at ${rate} before the release, ${step.percent}% for ${step.bakeSeconds} s would see about ${Math.floor((requestsPerSecond * step.bakeSeconds * step.percent) / 100)} of the ${needed} requests needed to show health; ${wanted >= 100 ? "going straight to 100%" : `first step raised to ${wanted}%`}` };
  }
  const raised = steps.map((s, i) => (i === first ? { ...s, percent: wanted } : s));
  return { steps: raised, note: `at ${rate} before the release, ${step.percent}% for ${step.bakeSeconds} s would see about ${Math.floor((requestsPerSecond * step.bakeSeconds * step.percent) / 100)} of the ${needed} requests needed to show health; first step raised to ${wanted}%` };
}
