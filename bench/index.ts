/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or only those named on the command line,
 * e.g. `npm run bench -- lambda`), prints one table and writes bench/results.json.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bench, BenchRow } from "./types";

function meets(row: BenchRow): string {
  if (!row.target) return "";
  const ok = row.target.better === "lower" ? row.value <= row.target.value : row.value >= row.target.value;
  return ok ? "yes" : "NO";
}

function table(rows: readonly BenchRow[]): string {
  const header = ["area", "metric", "value", "target", "met", "how"];
  const body = rows.map((r) => [
    r.area,
    r.metric,
    `${Number.isInteger(r.value) ? r.value : r.value.toFixed(3)} ${r.unit}`,
    r.target ? `${r.target.better === "lower" ? "<=" : ">="} ${r.target.value} ${r.unit}` : "",
    meets(r),
    r.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** Where a child run writes its rows (set by the parent of a whole run). */
const CHILD_OUT = "SHIFTLINE_BENCH_CHILD_OUT";

interface AreaResult {
  readonly rows: BenchRow[];
  readonly sections: Record<string, unknown>;
}

async function runHere(file: string): Promise<AreaResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bench = (require(join(__dirname, file)) as { default: Bench }).default;
  const result = await bench();
  return Array.isArray(result) ? { rows: result, sections: {} } : { rows: result.rows, sections: result.sections ?? {} };
}

/**
 * One area per process in a whole run: the infra bench loads @pulumi/pulumi, @pulumi/aws and
 * esbuild and the release bench fills the heap, and either left in the process slowed the
 * lambda bench's timings (handler overhead 1.165x and module init 68 ms in a whole run, against
 * 1.13x and 41 ms when it ran alone on the same idle machine).
 */
function runInChild(file: string): AreaResult {
  const dir = mkdtempSync(join(tmpdir(), "shiftline-bench-"));
  const out = join(dir, "rows.json");
  try {
    execFileSync(process.execPath, [require.resolve("ts-node/dist/bin"), __filename, file.replace(/\.bench\.ts$/, "")], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, [CHILD_OUT]: out } });
    return JSON.parse(readFileSync(out, "utf8")) as AreaResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => only.length === 0 || only.includes(f.replace(/\.bench\.ts$/, "")))
    .sort();
  if (files.length === 0) throw new Error(`no benchmark matched ${only.join(", ")}; available: ${readdirSync(__dirname).filter((f) => f.endsWith(".bench.ts")).join(", ")}`);
  const rows: BenchRow[] = [];
  const sections: Record<string, unknown> = {};
  for (const file of files) {
    if (process.env[CHILD_OUT] === undefined) process.stderr.write(`running ${file}...\n`);
    const result = files.length === 1 ? await runHere(file) : runInChild(file);
    rows.push(...result.rows);
    Object.assign(sections, result.sections);
  }
  const childOut = process.env[CHILD_OUT];
  if (childOut !== undefined) {
    // A child of a whole run: hand the rows back; the parent prints the table and writes results.json.
    writeFileSync(childOut, JSON.stringify({ rows, sections }));
    return;
  }
  console.log(table(rows));
  const out = join(__dirname, "results.json");
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows, ...sections }, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
