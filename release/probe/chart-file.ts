/**
 * The probe's chart files: where the chart goes (`--chart`, on by default beside the NDJSON),
 * the release report whose weights it overlays (`--report`), and writing it. The data and the
 * drawing are pure (chart-data.ts, chart-render.ts); this is their file boundary.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { renderValue, ValidationError, type Problem } from "../../lib/validation";
import { chartData, type ChartData } from "./chart-data";
import { renderChartFile } from "./chart-render";
import { weightsFromReport, type WeightsSeries } from "./chart-weights";
import type { ProbeRecord } from "./traffic";

export const CHART_EXTENSIONS = /\.(html?|svg)$/i;

/** `probe.ndjson` → `probe.html`, beside it (any other name gets `.html` appended). */
export function defaultChartPath(ndjson: string): string {
  return `${ndjson.replace(/\.ndjson$/i, "")}.html`;
}

/**
 * The chart file for `--chart` (a path, `false` for `--no-chart`, undefined for the default
 * beside `ndjson`); pushes a problem for a name the renderer cannot tell SVG or HTML from.
 */
export function chartPath(problems: Problem[], chart: string | boolean | undefined, ndjson: string): string | undefined {
  if (chart === false) return undefined;
  if (chart === undefined || chart === true) return defaultChartPath(ndjson);
  if (!CHART_EXTENSIONS.test(chart)) {
    problems.push({ field: "--chart", value: renderValue(chart), message: "must end in .html (a page with the chart and a table of counts) or .svg (the chart alone); pass e.g. --chart probe.html, or --no-chart." });
  }
  return chart;
}

function readJson(field: string, file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ValidationError("probe", [{ field, value: renderValue(file), message: `cannot be read (${e instanceof Error ? e.message : String(e)}); pass the path of ${what}.` }]);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError("probe", [{ field, value: renderValue(file), message: `is not JSON; pass ${what}.` }]);
  }
}

/** The weights of `release --json`'s report in `file`; throws naming `--report.<field>`. */
export function loadReportWeights(file: string): WeightsSeries {
  return weightsFromReport(readJson("--report", file, "the JSON report of a release (npm run release -- … --json > release.json)"), "--report");
}

export interface ChartRequest {
  readonly file: string;
  readonly title: string;
  readonly weights?: WeightsSeries;
}

/** Computes and writes the chart; returns its data (what the tests and the release report read). */
export function writeChart(records: readonly ProbeRecord[], req: ChartRequest): ChartData {
  const data = chartData(records, { title: req.title, weights: req.weights });
  // Whole or not at all: written beside the target, then renamed onto it (rename(2) replaces the
  // target atomically within one file system), so a failed write leaves the previous chart as it was.
  const tmp = join(dirname(req.file), `.${basename(req.file)}.${randomUUID()}.tmp`);
  try {
    writeFileSync(tmp, renderChartFile(req.file, data));
    renameSync(tmp, req.file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return data;
}

/** The chart's figures in one line, printed after the ok/ng table. */
export function chartLine(file: string, data: ChartData): string {
  const versions = [...data.series].sort((a, b) => a.firstMs - b.firstMs).map((s) => `${s.version} ${s.count}`);
  return `chart: ${file} (${data.requests} request${data.requests === 1 ? "" : "s"} in ${data.totals.length} bucket${data.totals.length === 1 ? "" : "s"} of ${data.bucketMs / 1000} s; per version ${versions.join(", ") || "none"}; ${data.failures.total} failed${data.weights !== undefined ? `; weights of version ${data.weights.target} from the report` : ""})\n`;
}
