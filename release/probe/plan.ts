/**
 * The probe's command line turned into what to do: send traffic (seed 000's experiment) and
 * chart it, or (`--from`) only chart an earlier run's NDJSON. Every problem is named at once,
 * with the flag, its value and the fix.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { renderValue, ValidationError, type Problem } from "../../lib/validation";
import type { WeightsSeries } from "./chart-weights";
import { chartPath, defaultChartPath, loadReportWeights } from "./chart-file";
import { parseRecords, probeOptions, PROBE_DEFAULTS, type ProbeOptions, type ProbeRecord, type RawProbeFlags } from "./traffic";

export interface ProbeCliFlags extends RawProbeFlags {
  readonly chart?: string | boolean;
  readonly report?: string;
  readonly from?: string;
}

export type ProbePlan =
  | { readonly kind: "send"; readonly opts: ProbeOptions; readonly chart?: string; readonly weights?: WeightsSeries }
  | { readonly kind: "from"; readonly from: string; readonly records: ProbeRecord[]; readonly chart: string; readonly weights?: WeightsSeries };

/** Validates the command line into what to do; throws ValidationError naming every problem. */
export function planProbe(baseUrl: string | undefined, flags: ProbeCliFlags): ProbePlan {
  const problems: Problem[] = [];
  const collect = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      problems.push(...e.problems);
      return undefined;
    }
  };
  const weights = flags.report === undefined ? undefined : collect(() => loadReportWeights(flags.report ?? ""));
  if (flags.from !== undefined) {
    const from = flags.from;
    if (baseUrl !== undefined) problems.push({ field: "<baseUrl>", value: renderValue(baseUrl), message: "--from draws a chart from a file and sends nothing; leave out the URL (or leave out --from to probe it)." });
    if (flags.chart === false) problems.push({ field: "--no-chart", value: "true", message: "with --from there is nothing else to do; leave out --no-chart." });
    const chart = chartPath(problems, flags.chart, from) ?? defaultChartPath(from);
    const records = collect(() => {
      try {
        return parseRecords(readFileSync(from, "utf8"));
      } catch (e) {
        throw new ValidationError("probe", [{ field: "--from", value: renderValue(from), message: `${e instanceof Error ? e.message : String(e)}; pass the NDJSON an earlier probe wrote (its --out).` }]);
      }
    });
    if (problems.length > 0 || records === undefined) throw new ValidationError("probe", problems);
    return { kind: "from", from, records, chart, weights };
  }
  const opts = collect(() => probeOptions(baseUrl, flags));
  const chart = chartPath(problems, flags.chart, opts?.out ?? flags.out ?? PROBE_DEFAULTS.out);
  if (opts !== undefined) sameFiles(problems, opts, chart);
  if (problems.length > 0 || opts === undefined) throw new ValidationError("probe", problems);
  return { kind: "send", opts, chart, weights };
}


/**
 * The NDJSON is opened for writing before the first request and the chart written after the
 * last: a --chart naming the --out file would overwrite the answers with the picture, and an
 * --out or --chart naming the finish file would stop the probe as soon as it is written.
 */
function sameFiles(problems: Problem[], opts: ProbeOptions, chart: string | undefined): void {
  const same = (a: string, b: string) => resolve(a) === resolve(b);
  if (same(opts.out, opts.finishFile)) problems.push({ field: "--out", value: renderValue(opts.out), message: "is the --finish-file too, so the probe would stop as soon as it opens it; name another file for --out or --finish-file." });
  if (chart === undefined) return;
  if (same(chart, opts.out)) problems.push({ field: "--chart", value: renderValue(chart), message: "is the --out file too, so the chart would overwrite the answers; name another file, e.g. --chart probe.html." });
  else if (same(chart, opts.finishFile)) problems.push({ field: "--chart", value: renderValue(chart), message: "is the --finish-file too, so writing it would stop the next run at once; name another file, e.g. --chart probe.html." });
}
