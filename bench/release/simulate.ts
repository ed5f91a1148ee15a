/**
 * Runs one release in a fresh World: 65 minutes of traffic on the previous version (so every
 * look-back the release step makes has history), then the release, started at a random second
 * of the minute, until its last alias write.
 */
import { releaseWithCodeDeploy, releaseWithShiftline, type ContenderResult } from "./contenders";
import { World, type VersionBehaviour } from "./world";

export interface Workload {
  readonly id: string;
  readonly summary: string;
  readonly rps: number;
  readonly previous: VersionBehaviour;
  readonly target: VersionBehaviour;
  /** Whether releasing the target is a mistake (it is worse than the previous version). */
  readonly bad: boolean;
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
];

export type Contender = "shiftline" | "codedeploy";

export interface Delays {
  readonly emfDelaySeconds: number;
  readonly standardDelaySeconds: number;
}

/** Defaults: a standard minute visible 60 s after it ends (Lambda's standard metrics, 1-minute periods, read once the minute has ended); EMF 10 s (an assumption; the bench prints 10, 30 and 60). */
export const DEFAULT_DELAYS: Delays = { emfDelaySeconds: 10, standardDelaySeconds: 60 };

export interface RunResult {
  readonly promoted: boolean;
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
const HISTORY_MS = 65 * 60_000;

export async function simulate(workload: Workload, contender: Contender, seed: number, delays: Delays = DEFAULT_DELAYS): Promise<RunResult> {
  const world = new World({ seed, rps: workload.rps, versions: { [PREVIOUS]: workload.previous, [TARGET]: workload.target }, primary: PREVIOUS, ...delays, startMs: EPOCH });
  // The release starts at a random moment within a minute, like a CI job.
  world.advanceTo(EPOCH + HISTORY_MS + ((seed * 7919) % 60_000));
  const result: ContenderResult = contender === "shiftline" ? await releaseWithShiftline(world, TARGET) : releaseWithCodeDeploy(world, TARGET);
  const from = result.firstShiftMs ?? world.nowMs;
  const to = result.finalWriteMs ?? world.nowMs;
  let requests = 0;
  for (const v of world.served.values()) requests += v.requests;
  return { promoted: result.promoted, failed: world.failuresServed(TARGET, from, to), decisionSeconds: (to - from) / 1000, requests, detail: result.detail };
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
    failedP95: p95(runs.map((r) => r.failed)),
    decisionSecondsMean: mean(runs.map((r) => r.decisionSeconds)),
    decisionSecondsP95: p95(runs.map((r) => r.decisionSeconds)),
  };
}
