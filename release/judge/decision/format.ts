/**
 * The decision as a report shows it: plain lines for the progress output and the Markdown
 * summary, and a JSON-safe record (JSON has no ∞, so infinite log ratios become strings).
 */
import type { Decision, SignalCheck } from "./rule";

const ACTIONS: Record<Decision["action"], string> = {
  "roll-back": "roll back now",
  advance: "may advance",
  hold: "keep gathering",
  "roll-back-at-deadline": "evidence deadline reached: roll back",
  "promote-without-evidence": "evidence deadline reached: promote without evidence (promoteWithoutEvidence)",
};

/** Several lines: the outcome and action, then one line per signal with its counts and statistics, then notes. */
export function formatDecision(d: Decision): string {
  const lines = [`decision: ${d.outcome} (${ACTIONS[d.action]})`];
  for (const c of d.checks) lines.push(`  ${c.requiredForHealth ? "" : "(veto only) "}${c.summary}`);
  for (const n of d.notes) lines.push(`  note: ${n}`);
  return lines.join("\n");
}

type Jsonable<T> = { readonly [K in keyof T]: T[K] extends number | undefined ? number | string | undefined : T[K] };
export type DecisionRecord = Omit<Decision, "checks"> & { readonly checks: ReadonlyArray<Jsonable<SignalCheck>> };

const safe = (x: number | undefined): number | string | undefined => (x === undefined || Number.isFinite(x) ? x : x > 0 ? "Infinity" : "-Infinity");

/** The decision with infinite statistics spelled out, for the JSON report. */
export function decisionRecord(d: Decision): DecisionRecord {
  return {
    ...d,
    checks: d.checks.map((c) => ({
      ...c,
      harmNull: safe(c.harmNull),
      harmLogRatio: safe(c.harmLogRatio),
      harmLogThreshold: safe(c.harmLogThreshold),
      healthBound: safe(c.healthBound),
      healthLogRatio: safe(c.healthLogRatio),
      healthLogThreshold: safe(c.healthLogThreshold),
    })),
  };
}
