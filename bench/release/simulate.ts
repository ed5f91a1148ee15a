/**
 * Runs one release in a fresh World: 65 minutes of traffic on the previous version (so every
 * look-back the release step makes has history), then the release, started at a random second
 * of the minute, until its last alias write.
 */
import { releaseWithCodeDeploy, releaseWithShiftline, type ContenderResult } from "./contenders";
import { DEFAULT_LIVE_TAIL, type LiveTailAssumptions } from "./live-tail";
import { World, type VersionBehaviour } from "./world";

export interface Workload {
  readonly id: string;
  readonly summary: string;
  readonly rps: number;
  readonly previous: VersionBehaviour;
  readonly target: VersionBehaviour;
  /** Whether releasing the target is a mistake (it is worse than the previous version). */
  readonly bad: boolean;
  /** What else is true of the world: a stalled EMF pipeline, no Live Tail session to be had, a fixed EMF delay. */
  readonly conditions?: {
    readonly emfStallSeconds?: number;
    readonly liveTail?: "quota";
    readonly emfDelaySeconds?: number;
  };
  /** Minutes of the previous version's traffic before the release. Defaults to 65 (every look-back has history). */
  readonly historyMinutes?: number;
}

/** A healthy version: no failures, median 40 ms, p99 150 ms (an assumption; only ratios matter). */
export const HEALTHY: VersionBehaviour = { unhandledRate: 0, handledErrorRate: 0, latencyMedianMs: 40, latencyP99Ms: 150 };

export const WORKLOADS: readonly Workload[] = [
  { id: "W1", summary: "10 rps, target fails 5% (unhandled)", rps: 10, previous: HEALTHY, target: { ...HEALTHY, unhandledRate: 0.05 }, bad: true },
  { id: "W2", summary: "10 rps, target fails 50% (unhandled)", rps: 10, previous: HEALTHY, target: { ...HEALTHY, unhandledRate: 0.5 }, bad: true },
  { id: "W3", summary: "10 rps, good", rps: 10, previous: HEALTHY, target: HEALTHY, bad: false },
  { id: "W4", summary: "0.5 rps, good", rps: 0.5, previous: HEALTHY, target: HEALTHY, bad: false },
  { id: "W5", summary: "0.5 rps, target fails 20% (unhandled)", rps: 0.5, previous: HEALTHY, target: { ...HEALTHY, unhandledRate: 0.2 }, bad: true },
  { id: "W6", summary: "previous fails 2%, target is the fix", rps: 10, previous: { ...HEALTHY, unhandledRate: 0.02 }, target: HEALTHY, bad: false },
  { id: "W7", summary: "10 rps, target answers 5% handled 500s", rps: 10, previous: HEALTHY, target: { ...HEALTHY, handledErrorRate: 0.05 }, bad: true },
  { id: "W8", summary: "10 rps, target p99 latency 3x, no errors", rps: 10, previous: HEALTHY, target: { ...HEALTHY, latencyP99Ms: HEALTHY.latencyP99Ms * 3 }, bad: true },
  { id: "W9", summary: "both fail 0.5%, target no worse", rps: 10, previous: { ...HEALTHY, unhandledRate: 0.005 }, target: { ...HEALTHY, unhandledRate: 0.005 }, bad: false },
  // The function is healthy by every metric it or Lambda writes, but API Gateway answers its
  // result with a 502 (a proxy result it cannot map): only the stage check and API Gateway's 5XXError see it.
  { id: "W10", summary: "10 rps, target healthy to Lambda, but API Gateway answers it 502", rps: 10, previous: HEALTHY, target: { ...HEALTHY, gatewayErrorRate: 1 }, bad: true },
  // A capacity limit: healthy at 10% and 50%, failing 5% once it carries all the traffic.
  { id: "W11", summary: "10 rps, target fails 5% (unhandled) only at 100%", rps: 10, previous: HEALTHY, target: { ...HEALTHY, atFullLoad: { unhandledRate: 0.05 } }, bad: true },
  // The metrics never arrive in time: only what the release step sees on the stream can judge it.
  { id: "W12", summary: "EMF pipeline stalls after the first shift (600 s); target answers 5% handled 500s", rps: 10, previous: HEALTHY, target: { ...HEALTHY, handledErrorRate: 0.05 }, bad: true, conditions: { emfStallSeconds: 600 } },
  // Over 500 events a second: Live Tail sends a sample. Two minutes of history hold 240 000 requests, more than enough.
  { id: "W13", summary: "2000 rps, target fails 5% (unhandled); the stream samples", rps: 2000, previous: HEALTHY, target: { ...HEALTHY, unhandledRate: 0.05 }, bad: true, historyMinutes: 2 },
  { id: "W14", summary: "no Live Tail session (quota), EMF delay 60 s; target fails 5% (unhandled)", rps: 10, previous: HEALTHY, target: { ...HEALTHY, unhandledRate: 0.05 }, bad: true, conditions: { liveTail: "quota", emfDelaySeconds: 60 } },
];

/** The release step with the live stream (the default), the same without it (metrics alone), and the CodeDeploy model. */
export type Contender = "shiftline" | "shiftline-metrics" | "codedeploy";

export interface Delays {
  /** The median EMF delay (each second draws its own, long-tailed: bench/release/world.ts). */
  readonly emfDelaySeconds: number;
  readonly standardDelaySeconds: number;
  /** The Live Tail channel's assumptions; false: the release step has no stream (metrics alone). Defaults to DEFAULT_LIVE_TAIL. */
  readonly liveTail?: LiveTailAssumptions | false;
}

/** Defaults: a standard minute visible 60 s after it ends (Lambda's standard metrics, 1-minute periods, read once the minute has ended); EMF 10 s (an assumption; the bench prints 10, 30 and 60). */
export const DEFAULT_DELAYS: Delays = { emfDelaySeconds: 10, standardDelaySeconds: 60 };

export interface RunResult {
  readonly promoted: boolean;
  /** Whether any traffic moved (false when the smoke gate or preflight stopped the release first). */
  readonly moved: boolean;
  /** Failed requests the target served between the first shift and the last alias write. */
  readonly failed: number;
  /** Seconds from the first shift to the last alias write (0 when nothing was written). */
  readonly decisionSeconds: number;
  readonly requests: number;
  readonly detail: string;
}

const PREVIOUS = "1";
const TARGET = "2";
/** 2027-01-01T00:00:00Z: whole minute, so the simulated minutes line up with CloudWatch's. */
const EPOCH = Date.UTC(2027, 0, 1);
/** An hour of the previous version before the release: the release step reads its last 60 minutes (preReleaseMinutes). */
const HISTORY_MINUTES = 65;

export async function simulate(workload: Workload, contender: Contender, seed: number, delays: Delays = DEFAULT_DELAYS): Promise<RunResult> {
  const c = workload.conditions ?? {};
  const world = new World({
    seed,
    rps: workload.rps,
    versions: { [PREVIOUS]: workload.previous, [TARGET]: workload.target },
    primary: PREVIOUS,
    ...delays,
    ...(c.emfDelaySeconds !== undefined ? { emfDelaySeconds: c.emfDelaySeconds } : {}),
    ...(c.emfStallSeconds !== undefined ? { emfStallSeconds: c.emfStallSeconds } : {}),
    startMs: EPOCH,
  });
  // The release starts at a random moment within a minute, like a CI job.
  world.advanceTo(EPOCH + (workload.historyMinutes ?? HISTORY_MINUTES) * 60_000 + ((seed * 7919) % 60_000));
  const live = delays.liveTail === false || contender === "shiftline-metrics" ? false : { ...(delays.liveTail ?? DEFAULT_LIVE_TAIL), ...(c.liveTail !== undefined ? { unavailable: c.liveTail } : {}) };
  const result: ContenderResult = contender === "codedeploy" ? releaseWithCodeDeploy(world, TARGET) : await releaseWithShiftline(world, TARGET, undefined, { live });
  const from = result.firstShiftMs ?? world.nowMs;
  const to = result.finalWriteMs ?? world.nowMs;
  let requests = 0;
  for (const v of world.served.values()) requests += v.requests;
  return { promoted: result.promoted, moved: result.firstShiftMs !== undefined, failed: world.failuresServed(TARGET, from, to), decisionSeconds: (to - from) / 1000, requests, detail: result.detail };
}

export interface Row {
  readonly workload: string;
  readonly contender: Contender;
  readonly runs: number;
  /** Share of runs that promoted the target (0–1). */
  readonly promoted: number;
  /** Share of runs that rolled it back, or never moved traffic (0–1). */
  readonly rolledBack: number;
  readonly failedMean: number;
  /** Mean failed requests over the runs that moved traffic (smoke-stopped runs count 0 in failedMean and hide the cost of the rest). */
  readonly failedPerMoved: number;
  readonly failedP95: number;
  readonly decisionSecondsMean: number;
  readonly decisionSecondsP95: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
/** Nearest-rank 95th percentile. */
const p95 = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)];
};

export async function measure(workload: Workload, contender: Contender, seeds: number, delays: Delays = DEFAULT_DELAYS): Promise<Row> {
  const runs: RunResult[] = [];
  for (let seed = 1; seed <= seeds; seed++) runs.push(await simulate(workload, contender, seed, delays));
  const promoted = runs.filter((r) => r.promoted).length / runs.length;
  return {
    workload: workload.id,
    contender,
    runs: runs.length,
    promoted,
    rolledBack: 1 - promoted,
    failedMean: mean(runs.map((r) => r.failed)),
    failedPerMoved: mean(runs.filter((r) => r.moved).map((r) => r.failed)),
    failedP95: p95(runs.map((r) => r.failed)),
    decisionSecondsMean: mean(runs.map((r) => r.decisionSeconds)),
    decisionSecondsP95: p95(runs.map((r) => r.decisionSeconds)),
  };
}
