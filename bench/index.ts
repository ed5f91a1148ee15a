/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or only those named on the command line,
 * e.g. `npm run bench -- lambda`), prints one table and writes bench/results.json.
 */
import { readdirSync, writeFileSync } from "node:fs";
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
    process.stderr.write(`running ${file}...\n`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bench = (require(join(__dirname, file)) as { default: Bench }).default;
    const result = await bench();
    if (Array.isArray(result)) rows.push(...result);
    else {
      rows.push(...result.rows);
      Object.assign(sections, result.sections);
    }
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
