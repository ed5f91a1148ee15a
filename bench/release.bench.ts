/**
 * `npm run bench -- release`: the release simulator (bench/release/). Every workload runs with
 * RELEASE_BENCH_SEEDS seeds (default 200) for each contender in the same simulated worlds (same
 * seeds, same traffic): the real release step with the live stream, the same without it
 * (metrics alone, as a stack without the log group output or with --no-live-evidence), and the
 * CodeDeploy model. Then the headline workloads at median EMF delays of 60 and 300 s
 * (RELEASE_BENCH_DELAY_SEEDS, default the same). Prints the tables, checks the targets, and
 * writes the rows to bench/results.json under `release` and `releaseDelays`.
 */
import { DEFAULT_DELAYS, measure, WORKLOADS, type Contender, type Delays, type Row, type Workload } from "./release/simulate";
import type { BenchResult, BenchRow } from "./types";

const CONTENDERS: readonly Contender[] = ["shiftline", "shiftline-metrics", "codedeploy"];
/** Median EMF delays the headline workloads are run at besides the default. */
const EMF_DELAYS = [60, 300] as const;
/** Workloads whose targets are judged at every EMF delay. */
const DELAY_WORKLOADS = ["W1", "W3", "W4", "W6", "W7", "W9", "W11"] as const;
/** Of those, the ones also run without the stream at each delay, to show what the stream changes. */
const WITHOUT_STREAM = new Set(["W1", "W3", "W4", "W7", "W11"]);

function seedsFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`${name} = ${JSON.stringify(raw)}: a whole number of seeds from 1 to 10000 is needed, e.g. ${name}=200.`);
  return n;
}

const fixed = (x: number, digits = 2) => (Number.isInteger(x) ? String(x) : x.toFixed(digits));

export function comparisonTable(rows: readonly Row[]): string {
  const header = ["workload", "contender", "runs", "promoted", "rolled back", "failed mean", "failed/moved", "failed p95", "decision s mean", "decision s p95"];
  const body = rows.map((r) => [
    r.workload,
    r.contender,
    String(r.runs),
    `${fixed(100 * r.promoted, 1)}%`,
    `${fixed(100 * r.rolledBack, 1)}%`,
    fixed(r.failedMean),
    fixed(r.failedPerMoved),
    fixed(r.failedP95),
    fixed(r.decisionSecondsMean, 0),
    fixed(r.decisionSecondsP95, 0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

async function runAll(workloads: readonly Workload[], contenders: readonly Contender[], seeds: number, delays: Delays): Promise<Row[]> {
  const rows: Row[] = [];
  for (const w of workloads) {
    for (const c of contenders) {
      process.stderr.write(`  ${w.id} ${c} (${seeds} seeds, EMF delay ${delays.emfDelaySeconds} s median, standard ${delays.standardDelaySeconds} s)...\n`);
      rows.push(await measure(w, c, seeds, delays));
    }
  }
  return rows;
}

export interface DelayRows {
  readonly emfDelaySeconds: number;
  readonly rows: readonly Row[];
}

/** The release step's targets, as bench rows: against the CodeDeploy model, and at every EMF delay. */
export function targetRows(rows: readonly Row[], delays: readonly DelayRows[] = []): BenchRow[] {
  const find = (set: readonly Row[], w: string, c: Contender) => {
    const r = set.find((x) => x.workload === w && x.contender === c);
    if (r === undefined) throw new Error(`no ${c} row for ${w}`);
    return r;
  };
  const get = (w: string, c: Contender) => find(rows, w, c);
  const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 0 : Infinity) : a / b);
  const failedRatio = (w: string) => ratio(get(w, "shiftline").failedMean, get(w, "codedeploy").failedMean);
  const timeRatio = (set: readonly Row[], w: string) => ratio(find(set, w, "shiftline").decisionSecondsMean, get(w, "codedeploy").decisionSecondsMean);
  const badIds = WORKLOADS.filter((w) => w.bad).map((w) => w.id);
  const badPromoted = badIds.reduce((n, id) => n + get(id, "shiftline").promoted * get(id, "shiftline").runs, 0) / badIds.reduce((n, id) => n + get(id, "shiftline").runs, 0);
  const row = (metric: string, value: number, unit: string, target: number, better: "lower" | "higher", note: string): BenchRow => ({ area: "release", metric, value, unit, target: { value: target, better }, note });
  const everyDelay: Array<{ emf: number; set: readonly Row[] }> = [{ emf: DEFAULT_DELAYS.emfDelaySeconds, set: rows }, ...delays.map((d) => ({ emf: d.emfDelaySeconds, set: d.rows }))];
  const perDelay = everyDelay.flatMap(({ emf, set }) => [
    row(`W1 failed per release that moved traffic, EMF ${emf} s`, find(set, "W1", "shiftline").failedPerMoved, "requests", 1.2, "lower", "mean over the runs that shifted traffic (smoke-stopped runs left out)"),
    row(`W3 time to 100% vs CodeDeploy, EMF ${emf} s`, timeRatio(set, "W3"), "x", 0.65, "lower", "mean seconds from first shift to last alias write"),
    row(`W11 (fails only at 100%) rolled back, EMF ${emf} s`, find(set, "W11", "shiftline").rolledBack, "share", 0.99, "higher", "a capacity limit only full traffic reaches"),
    row(
      `good releases promoted (W3 W4 W6 W9), EMF ${emf} s`,
      Math.min(...["W3", "W4", "W6", "W9"].map((w) => find(set, w, "shiftline").promoted)),
      "share",
      0.99,
      "higher",
      "the lowest of the four",
    ),
  ]);
  const w14Reference = delays.find((d) => d.emfDelaySeconds === 60);
  return [
    row("W1 failed requests vs CodeDeploy", failedRatio("W1"), "x", 0.25, "lower", "mean failed requests served by the target, shiftline / CodeDeploy model"),
    row("W2 failed requests vs CodeDeploy", failedRatio("W2"), "x", 0.25, "lower", "same"),
    row("W5 failed requests vs CodeDeploy", failedRatio("W5"), "x", 0.5, "lower", "same, 0.5 rps"),
    row("W7 handled 500s rolled back", get("W7", "shiftline").rolledBack, "share", 0.99, "higher", "CodeDeploy's Errors alarm cannot see them"),
    row("W8 3x p99 latency rolled back", get("W8", "shiftline").rolledBack, "share", 0.99, "higher", ""),
    row("W10 stage path broken rolled back", get("W10", "shiftline").rolledBack, "share", 0.99, "higher", "the stage check; CodeDeploy's model does not send through the stage"),
    row("W10 failed requests vs CodeDeploy", failedRatio("W10"), "x", 0.05, "lower", "mean failed requests served by the target"),
    row("W4 time to 100% vs CodeDeploy", timeRatio(rows, "W4"), "x", 2, "lower", ""),
    row("W12 promoted on unseen data (EMF stalled)", get("W12", "shiftline").promoted, "share", 0, "lower", "a bad target whose metrics never arrive in time"),
    row("W13 rolled back (2000 rps, sampled stream)", get("W13", "shiftline").rolledBack, "share", 0.99, "higher", ""),
    row("W13 failed requests vs CodeDeploy", failedRatio("W13"), "x", 0.25, "lower", ""),
    ...(w14Reference !== undefined
      ? [row("W14 (no stream, EMF 60 s) failed vs metrics alone at 60 s", ratio(get("W14", "shiftline").failedPerMoved, find(w14Reference.rows, "W1", "shiftline-metrics").failedPerMoved), "x", 1, "lower", "per release that moved traffic; the stream refused (quota), so the release runs on metrics")]
      : []),
    row(`bad releases promoted (${badIds.join(" ")})`, badPromoted, "share", 0.01, "lower", ""),
    ...perDelay,
  ];
}

const bench = async (): Promise<BenchResult> => {
  const seeds = seedsFromEnv("RELEASE_BENCH_SEEDS", 200);
  const rows = await runAll(WORKLOADS, CONTENDERS, seeds, DEFAULT_DELAYS);
  console.log(`\nrelease simulator: ${seeds} seeds per workload and contender; EMF delay ${DEFAULT_DELAYS.emfDelaySeconds} s median (long-tailed), standard metrics delay ${DEFAULT_DELAYS.standardDelaySeconds} s, Live Tail delivery median 1.5 s (p99 5 s)\n`);
  console.log(WORKLOADS.map((w) => `${w.id}: ${w.summary}`).join("\n"));
  console.log(`\n${comparisonTable(rows)}\n`);

  const delaySeeds = seedsFromEnv("RELEASE_BENCH_DELAY_SEEDS", seeds);
  const delays: DelayRows[] = [];
  for (const emf of EMF_DELAYS) {
    const d: Delays = { ...DEFAULT_DELAYS, emfDelaySeconds: emf };
    const set: Row[] = [];
    for (const w of WORKLOADS.filter((x) => (DELAY_WORKLOADS as readonly string[]).includes(x.id))) {
      set.push(...(await runAll([w], WITHOUT_STREAM.has(w.id) ? ["shiftline", "shiftline-metrics"] : ["shiftline"], delaySeeds, d)));
    }
    delays.push({ emfDelaySeconds: emf, rows: set });
    console.log(`EMF delay ${emf} s median, standard delay ${d.standardDelaySeconds} s (${delaySeeds} seeds):\n${comparisonTable(set)}\n`);
  }
  return { rows: targetRows(rows, delays), sections: { release: rows, releaseDelays: delays } };
};

export default bench;
