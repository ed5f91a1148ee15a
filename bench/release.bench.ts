/**
 * `npm run bench -- release`: the release simulator (bench/release/). Every workload of issue
 * #8 runs with RELEASE_BENCH_SEEDS seeds (default 200) for each contender, the real release step
 * and the CodeDeploy model, in the same simulated worlds (same seeds, same traffic model). Prints
 * the comparison, checks the targets, and shows how the headline figures move with the metric
 * delays. The rows go to bench/results.json under `release`.
 */
import { DEFAULT_DELAYS, measure, WORKLOADS, type Contender, type Delays, type Row, type Workload } from "./release/simulate";
import type { BenchResult, BenchRow } from "./types";

const CONTENDERS: readonly Contender[] = ["shiftline", "codedeploy"];

function seedsFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`${name} = ${JSON.stringify(raw)}: a whole number of seeds from 1 to 10000 is needed, e.g. ${name}=200.`);
  return n;
}

const fixed = (x: number, digits = 2) => (Number.isInteger(x) ? String(x) : x.toFixed(digits));

export function comparisonTable(rows: readonly Row[]): string {
  const header = ["workload", "contender", "runs", "promoted", "rolled back", "failed mean", "failed p95", "decision s mean", "decision s p95"];
  const body = rows.map((r) => [r.workload, r.contender, String(r.runs), `${fixed(100 * r.promoted, 1)}%`, `${fixed(100 * r.rolledBack, 1)}%`, fixed(r.failedMean), fixed(r.failedP95), fixed(r.decisionSecondsMean, 0), fixed(r.decisionSecondsP95, 0)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

async function runAll(workloads: readonly Workload[], seeds: number, delays: Delays): Promise<Row[]> {
  const rows: Row[] = [];
  for (const w of workloads) {
    for (const c of CONTENDERS) {
      process.stderr.write(`  ${w.id} ${c} (${seeds} seeds, EMF delay ${delays.emfDelaySeconds} s, standard ${delays.standardDelaySeconds} s)...\n`);
      rows.push(await measure(w, c, seeds, delays));
    }
  }
  return rows;
}

/** The release step's targets against the CodeDeploy model, as bench rows. */
export function targetRows(rows: readonly Row[]): BenchRow[] {
  const get = (w: string, c: Contender) => {
    const r = rows.find((x) => x.workload === w && x.contender === c);
    if (r === undefined) throw new Error(`no ${c} row for ${w}`);
    return r;
  };
  const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 0 : Infinity) : a / b);
  const failedRatio = (w: string) => ratio(get(w, "shiftline").failedMean, get(w, "codedeploy").failedMean);
  const timeRatio = (w: string) => ratio(get(w, "shiftline").decisionSecondsMean, get(w, "codedeploy").decisionSecondsMean);
  const badIds = WORKLOADS.filter((w) => w.bad).map((w) => w.id);
  const badPromoted = badIds.reduce((n, id) => n + get(id, "shiftline").promoted * get(id, "shiftline").runs, 0) / badIds.reduce((n, id) => n + get(id, "shiftline").runs, 0);
  const row = (metric: string, value: number, unit: string, target: number, better: "lower" | "higher", note: string): BenchRow => ({ area: "release", metric, value, unit, target: { value: target, better }, note });
  return [
    row("W1 failed requests vs CodeDeploy", failedRatio("W1"), "x", 0.25, "lower", "mean failed requests served by the target, shiftline / CodeDeploy model"),
    row("W2 failed requests vs CodeDeploy", failedRatio("W2"), "x", 0.25, "lower", "same"),
    row("W5 failed requests vs CodeDeploy", failedRatio("W5"), "x", 0.5, "lower", "same, 0.5 rps"),
    row("W7 handled 500s rolled back", get("W7", "shiftline").rolledBack, "share", 0.99, "higher", "CodeDeploy's Errors alarm cannot see them"),
    row("W8 3x p99 latency rolled back", get("W8", "shiftline").rolledBack, "share", 0.99, "higher", ""),
    row("W10 stage path broken rolled back", get("W10", "shiftline").rolledBack, "share", 0.99, "higher", "the stage check; CodeDeploy's model does not send through the stage"),
    row("W10 failed requests vs CodeDeploy", failedRatio("W10"), "x", 0.05, "lower", "mean failed requests served by the target"),
    row("W3 time to 100% vs CodeDeploy", timeRatio("W3"), "x", 1, "lower", "mean seconds from first shift to last alias write"),
    row("W4 promoted at 0.5 rps", get("W4", "shiftline").promoted, "share", 0.99, "higher", ""),
    row("W4 time to 100% vs CodeDeploy", timeRatio("W4"), "x", 2, "lower", ""),
    row("W6 fix promoted", get("W6", "shiftline").promoted, "share", 0.99, "higher", "previous version fails 2%"),
    row("W9 no-worse target promoted", get("W9", "shiftline").promoted, "share", 0.99, "higher", "both fail 0.5%"),
    row("bad releases promoted (W1 W2 W5 W7 W8 W10)", badPromoted, "share", 0.01, "lower", ""),
  ];
}

const bench = async (): Promise<BenchResult> => {
  const seeds = seedsFromEnv("RELEASE_BENCH_SEEDS", 200);
  const rows = await runAll(WORKLOADS, seeds, DEFAULT_DELAYS);
  console.log(`\nrelease simulator: ${seeds} seeds per workload and contender; EMF delay ${DEFAULT_DELAYS.emfDelaySeconds} s, standard metrics delay ${DEFAULT_DELAYS.standardDelaySeconds} s\n`);
  console.log(WORKLOADS.map((w) => `${w.id}: ${w.summary}`).join("\n"));
  console.log(`\n${comparisonTable(rows)}\n`);

  // Sensitivity: the headline workloads with each delay varied alone.
  const sensitivitySeeds = seedsFromEnv("RELEASE_BENCH_SENSITIVITY_SEEDS", Math.min(seeds, 50));
  const headline = WORKLOADS.filter((w) => ["W1", "W3", "W4", "W7"].includes(w.id));
  const variants: Delays[] = [
    { ...DEFAULT_DELAYS, emfDelaySeconds: 30 },
    { ...DEFAULT_DELAYS, emfDelaySeconds: 60 },
    { ...DEFAULT_DELAYS, standardDelaySeconds: 120 },
    { ...DEFAULT_DELAYS, standardDelaySeconds: 180 },
  ];
  const sensitivity: { delays: Delays; rows: Row[] }[] = [];
  for (const delays of variants) {
    const varied = await runAll(headline, sensitivitySeeds, delays);
    sensitivity.push({ delays, rows: varied });
    console.log(`EMF delay ${delays.emfDelaySeconds} s, standard delay ${delays.standardDelaySeconds} s (${sensitivitySeeds} seeds):\n${comparisonTable(varied)}\n`);
  }
  return { rows: targetRows(rows), sections: { release: rows, releaseSensitivity: sensitivity } };
};

export default bench;
