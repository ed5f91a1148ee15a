/**
 * The decision rule: from the counts of the window so far, is the target harmful (roll back
 * now), healthy (may advance once the minimum bake has passed), or is the evidence not there
 * yet (keep gathering, up to the deadline)? Pure: no AWS call, no clock; time is an input.
 *
 * Each signal (server errors, unhandled errors, slow requests) is judged by two one-sided
 * always-valid tests (release/judge/decision/sequential.ts):
 *
 * - Harm, against the previous version. With Poisson failures at rates λₜ, λᵦ over exposures
 *   t and b (target requests; previous-version requests in the window plus the pre-release
 *   window), the target's share of the n merged failures is Binomial(n, π) with
 *   π = ρt / (ρt + b), ρ = λₜ/λᵦ, whatever the common level. "No worse than the previous version
 *   × (1 + relativeTolerance)" is π ≤ π₀ at ρ₀ = 1 + relativeTolerance; the mixture ratio for
 *   π > π₀ rolls back once it reaches 1/α. A clean previous version with many requests makes π₀
 *   tiny, so the target's first failures carry a large ratio (about 1/(2π₀) for the first).
 *   With too little previous traffic (< minBaselineRequests) the target is tested against the
 *   fixed fallback rate instead.
 * - Health: the target's own rate is below its allowance (the previous version's rate ×
 *   (1 + relativeTolerance), or the fallback rate) plus healthMarginPercent, when the mixture
 *   ratio for p < bound reaches 1/β. A target failing at the bound or above is called healthy
 *   with probability at most β.
 *
 * The guarantees are Ville's inequality for a fixed exposure split; the pre-release window and
 * a split that changes between looks make them approximate, which is why the tests measure the
 * rule's error rates on simulated releases with a look every 5 s (tests/release/judge/decision).
 */
import { validateDecisionInput, type DecisionInput, type VersionFigures } from "./figures";
import { logEvidenceAbove, logEvidenceBelow, targetShare } from "./sequential";
import type { DecisionSettings } from "./settings";

export type Outcome = "harm" | "healthy" | "inconclusive";
/** What the caller should do now, given `DecisionInput.time` (without it: advance on healthy, hold otherwise). */
export type Action = "roll-back" | "advance" | "hold" | "roll-back-at-deadline" | "promote-without-evidence";
export type SignalName = "server-errors" | "unhandled-errors" | "latency";
/** vs-previous: compared with the previous version; vs-fixed-rate: with a configured rate; percentiles: p99 ratio only. */
export type Method = "vs-previous" | "vs-fixed-rate" | "percentiles";

export interface Tally {
  /** Failures, or slow requests. */
  readonly events: number;
  readonly requests: number;
}

/** One signal's check: the counts and the statistics that decided it. */
export interface SignalCheck {
  readonly signal: SignalName;
  readonly verdict: Outcome;
  readonly method: Method;
  readonly target: Tally;
  /** Previous version, window plus pre-release window (vs-previous only). */
  readonly baseline?: Tally;
  /** Null boundary of the harm test: π₀ (target's share of failures) or the fixed rate p₀. */
  readonly harmNull?: number;
  /** log of the harm test's mixture likelihood ratio, and the log threshold it must reach (log(k/α)). */
  readonly harmLogRatio?: number;
  readonly harmLogThreshold?: number;
  /** Rate the health test shows the target below (allowance + margin). */
  readonly healthBound?: number;
  readonly healthLogRatio?: number;
  readonly healthLogThreshold?: number;
  /** Required for "healthy" (the primary error signal and latency); others can only veto. */
  readonly requiredForHealth: boolean;
  /** One line a person can read. */
  readonly summary: string;
}

export interface Decision {
  readonly outcome: Outcome;
  readonly action: Action;
  /** One sentence: why. */
  readonly reason: string;
  readonly checks: readonly SignalCheck[];
  /** Signals not judged and why (missing figures, fallbacks). */
  readonly notes: readonly string[];
}

const pct = (p: number) => `${Number((100 * p).toPrecision(3))}%`;
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : x > 0 ? "∞" : "-∞");

interface SignalData {
  readonly signal: SignalName;
  readonly target: Tally;
  readonly baseline?: Tally;
  /** ρ₀ for vs-previous. */
  readonly ratio: number;
  /** p₀ for vs-fixed-rate. */
  readonly fixedRate: number;
  readonly requiredForHealth: boolean;
}

function tally(events: number | undefined, requests: number | undefined): Tally | undefined {
  return events === undefined || requests === undefined ? undefined : { events, requests };
}

function merged(window: VersionFigures | undefined, pre: VersionFigures | undefined, pick: (v: VersionFigures) => Tally | undefined): Tally | undefined {
  const a = window === undefined ? undefined : pick(window);
  const b = pre === undefined ? undefined : pick(pre);
  if (a === undefined || b === undefined) return a ?? b;
  return { events: a.events + b.events, requests: a.requests + b.requests };
}

const picks: Record<Exclude<SignalName, "latency">, (v: VersionFigures) => Tally | undefined> = {
  "server-errors": (v) => tally(v.serverErrors, v.requests),
  "unhandled-errors": (v) => tally(v.unhandledErrors, v.invocations ?? v.requests),
};
const pickSlow = (v: VersionFigures) => tally(v.latency?.slowRequests, v.latency?.timedRequests ?? v.requests);

function judgeCounts(d: SignalData, s: DecisionSettings, logHarmThreshold: number, notes: string[]): SignalCheck {
  const logHealthThreshold = Math.log(1 / s.beta);
  const margin = s.healthMarginPercent / 100;
  const comparable = d.baseline !== undefined && d.baseline.requests >= s.minBaselineRequests;
  let harmNull: number;
  let harmLogRatio: number;
  let allowance: number;
  if (comparable && d.baseline !== undefined) {
    harmNull = targetShare(d.target.requests, d.baseline.requests, d.ratio);
    harmLogRatio = logEvidenceAbove(d.target.events, d.target.events + d.baseline.events, harmNull);
    allowance = (d.ratio * d.baseline.events) / d.baseline.requests;
  } else {
    const have = d.baseline === undefined ? "no figures" : `${d.baseline.requests} requests`;
    notes.push(`${d.signal}: previous version has ${have} (fewer than minBaselineRequests ${s.minBaselineRequests}); judged against the fixed rate ${pct(d.fixedRate)} instead.`);
    harmNull = d.fixedRate;
    harmLogRatio = logEvidenceAbove(d.target.events, d.target.requests, harmNull);
    allowance = d.fixedRate;
  }
  const healthBound = Math.min(1, allowance + margin);
  const healthLogRatio = logEvidenceBelow(d.target.events, d.target.requests, healthBound);
  const verdict: Outcome =
    harmLogRatio >= logHarmThreshold ? "harm" : healthLogRatio >= logHealthThreshold && d.target.requests >= s.minTargetRequests ? "healthy" : "inconclusive";
  const method: Method = comparable ? "vs-previous" : "vs-fixed-rate";
  return {
    signal: d.signal,
    verdict,
    method,
    target: d.target,
    baseline: comparable ? d.baseline : undefined,
    harmNull,
    harmLogRatio,
    harmLogThreshold: logHarmThreshold,
    healthBound,
    healthLogRatio,
    healthLogThreshold: logHealthThreshold,
    requiredForHealth: d.requiredForHealth,
    // Built on demand: the rule is asked every few seconds (and thousands of times in the simulator).
    get summary() {
      const counts = `target ${d.target.events}/${d.target.requests}` + (comparable && d.baseline ? ` vs previous ${d.baseline.events}/${d.baseline.requests}` : ` vs fixed ${pct(d.fixedRate)}`);
      const harmText = `harm log LR ${num(harmLogRatio)} (needs ${num(logHarmThreshold)}; ${comparable ? `π₀ ${harmNull.toPrecision(3)}` : `p₀ ${pct(harmNull)}`})`;
      const healthText = `health log LR ${num(healthLogRatio)} (needs ${num(logHealthThreshold)}; rate < ${pct(healthBound)})`;
      const tooFew = verdict === "inconclusive" && healthLogRatio >= logHealthThreshold ? `; fewer than minTargetRequests ${s.minTargetRequests}` : "";
      return `${d.signal} ${verdict}: ${counts}; ${harmText}; ${healthText}${tooFew}`;
    },
  };
}

/** Coarse latency fallback when only percentiles are known: no test, a ratio after enough requests. */
function judgePercentiles(input: DecisionInput, s: DecisionSettings, notes: string[]): SignalCheck | undefined {
  const t = input.target.latency;
  const b = input.baseline?.latency?.p99Ms !== undefined ? input.baseline : input.preRelease;
  const tp = t?.p99Ms;
  const bp = b?.latency?.p99Ms;
  if (tp === undefined || bp === undefined || b === undefined) return undefined;
  const tn = t?.timedRequests ?? input.target.requests;
  const bn = b.latency?.timedRequests ?? b.requests;
  const target = { events: 0, requests: tn };
  const baseline = { events: 0, requests: bn };
  if (tn < s.minPercentileRequests || bn < s.minPercentileRequests) {
    notes.push(`latency: p99 ${tp} ms vs previous ${bp} ms not compared yet (each needs minPercentileRequests ${s.minPercentileRequests}; target ${tn}, previous ${bn}).`);
    return undefined;
  }
  const limit = bp * (1 + s.percentileTolerance);
  const verdict: Outcome = tp > limit ? "harm" : "healthy";
  return {
    signal: "latency",
    verdict,
    method: "percentiles",
    target,
    baseline,
    requiredForHealth: false,
    summary: `latency ${verdict}: target p99 ${tp} ms vs previous ${bp} ms (limit ${Number(limit.toPrecision(4))} ms, percentileTolerance ${s.percentileTolerance}; a ratio, not a sequential test)`,
  };
}

/** Judges the window so far. Throws DecisionInputError when the figures are unusable. */
export function decide(input: DecisionInput, settings: DecisionSettings): Decision {
  validateDecisionInput(input);
  const notes: string[] = [];
  const ratio = 1 + settings.relativeTolerance;
  const signals: SignalData[] = [];
  const primary: SignalName = input.target.serverErrors !== undefined ? "server-errors" : "unhandled-errors";
  if (primary === "unhandled-errors") notes.push("server-errors: the target publishes no EMF server-error counts; judged on Lambda Errors alone (handled 5xx answers are not seen).");
  for (const signal of ["server-errors", "unhandled-errors"] as const) {
    const target = picks[signal](input.target);
    if (target === undefined) continue;
    signals.push({ signal, target, baseline: merged(input.baseline, input.preRelease, picks[signal]), ratio, fixedRate: settings.fallbackErrorRatePercent / 100, requiredForHealth: signal === primary });
  }
  const slow = pickSlow(input.target);
  if (slow !== undefined) {
    signals.push({
      signal: "latency",
      target: slow,
      baseline: merged(input.baseline, input.preRelease, pickSlow),
      ratio: 1 + settings.latencyTolerance,
      fixedRate: ((100 - settings.latencyQuantile) / 100) * (1 + settings.latencyTolerance),
      requiredForHealth: true,
    });
  }
  // Bonferroni: the α is shared between the signals, so all of them together roll back a good release at most α of the time.
  const logHarmThreshold = Math.log(signals.length / settings.alpha);
  const checks = signals.map((d) => judgeCounts(d, settings, logHarmThreshold, notes));
  if (slow === undefined) {
    const p = judgePercentiles(input, settings, notes);
    if (p !== undefined) checks.push(p);
    else if (input.target.latency === undefined) notes.push("latency: no latency figures for the target; not judged.");
  }
  if (input.target.requests === 0) notes.push("the target served no requests in this window yet.");

  const harmful = checks.filter((c) => c.verdict === "harm");
  const required = checks.filter((c) => c.requiredForHealth);
  const outcome: Outcome = harmful.length > 0 ? "harm" : required.every((c) => c.verdict === "healthy") ? "healthy" : "inconclusive";
  const because = (): string =>
    outcome === "harm"
      ? `evidence of harm: ${harmful.map((c) => c.summary).join("; ")}`
      : outcome === "healthy"
        ? `evidence of health: ${required.map((c) => c.summary).join("; ")}`
        : `not enough evidence yet: ${required.filter((c) => c.verdict !== "healthy").map((c) => c.summary).join("; ")}`;
  return {
    outcome,
    action: actionFor(outcome, input, settings),
    get reason() {
      return because();
    },
    checks,
    notes,
  };
}

function actionFor(outcome: Outcome, input: DecisionInput, s: DecisionSettings): Action {
  const t = input.time;
  if (outcome === "harm") return "roll-back";
  if (outcome === "healthy") return t === undefined || t.elapsedSeconds >= t.minBakeSeconds ? "advance" : "hold";
  if (t === undefined || t.elapsedSeconds < t.deadlineSeconds) return "hold";
  return s.promoteWithoutEvidence ? "promote-without-evidence" : "roll-back-at-deadline";
}
