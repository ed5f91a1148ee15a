/**
 * The version-mix chart's data, pure: probe records → time buckets, one
 * series per `x-function-version` (share of the bucket's requests, and counts), failures per
 * bucket and at their own times, and, given a release report, the alias's weights over time
 * (chart-weights.ts). chart-render.ts draws it; nothing here does I/O.
 *
 * Every record counts in exactly one series, so the series' counts add up to the requests
 * sent, as the NDJSON's per-version counts do (`summarise` in traffic.ts): a request that got no
 * answer, or an answer without the header, is in the `(none)` series.
 */
import { renderValue, ValidationError, type Problem } from "../../lib/validation";
import { isOk, NO_VERSION, type ProbeRecord } from "./traffic";
import type { WeightsSeries } from "./chart-weights";

/** More buckets than this would be thinner than a pixel on the chart: the width grows instead. */
export const MAX_BUCKETS = 600;
/**
 * Bucket widths tried in order, in seconds: 1 s (the resolution of the function's own request
 * metrics) for runs up to 10 minutes, then the first width that keeps the run within
 * MAX_BUCKETS buckets (a probe's longest run, an hour, gets 10 s buckets), and that holds at
 * least MIN_PER_BUCKET requests per bucket on average (seed 000's 3 clients every 300 ms send
 * 10 a second; a sparser run gets wider buckets rather than slivers of 0% or 100%).
 */
export const BUCKET_WIDTHS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600] as const;
/** Individual failure times kept for the chart's marks; the per-bucket counts are always complete. */
export const MAX_FAILURE_MARKS = 2_000;
export const MIN_PER_BUCKET = 3;

export interface ChartSeries {
  readonly version: string;
  /** Requests in this series, over the whole run. */
  readonly count: number;
  /** Of those, answered 200 (poster.py's ok). */
  readonly ok: number;
  /** When this version's first and last answer were sent, epoch ms. */
  readonly firstMs: number;
  readonly lastMs: number;
  /** Requests per bucket. */
  readonly perBucket: readonly number[];
  /** Share of the bucket's requests (0–1), null for a bucket with none. */
  readonly share: ReadonlyArray<number | null>;
}

export interface ChartFailure {
  readonly atMs: number;
  readonly client: number;
  readonly route: string;
  /** The status, or null for no answer. */
  readonly status: number | null;
}

export interface ChartData {
  readonly title: string;
  /** The first bucket's start and the last bucket's end, epoch ms. */
  readonly startMs: number;
  readonly endMs: number;
  readonly bucketMs: number;
  /** Requests per bucket, all series together. */
  readonly totals: readonly number[];
  /** Newest first appearance first: a new version grows from the x axis (see chart-render.ts). */
  readonly series: readonly ChartSeries[];
  readonly failures: {
    readonly total: number;
    readonly perBucket: readonly number[];
    /** Each failure (status ≠ 200 or no answer), in time order, at most MAX_FAILURE_MARKS. */
    readonly marks: readonly ChartFailure[];
  };
  readonly requests: number;
  readonly ok: number;
  readonly routes: readonly string[];
  readonly weights?: WeightsSeries;
}

export interface ChartOptions {
  readonly title: string;
  readonly weights?: WeightsSeries;
  /** Forces a bucket width (ms, whole seconds); by default chosen from the run's length. */
  readonly bucketMs?: number;
}

/** The bucket width for `requests` sent from `firstMs` to `lastMs`: see BUCKET_WIDTHS_S. */
export function chooseBucketMs(firstMs: number, lastMs: number, requests = Infinity): number {
  for (const s of BUCKET_WIDTHS_S) {
    const n = bucketCount(firstMs, lastMs, s * 1000);
    // A run with fewer than MIN_PER_BUCKET requests, or none (a report's weights alone), cannot
    // fill a bucket at any width: it gets the first width that holds it in one bucket, or 1 s
    // buckets when there is no request, rather than the widest (a 10-minute chart of one request).
    if (n <= MAX_BUCKETS && (requests / n >= MIN_PER_BUCKET || n === 1 || requests === 0)) return s * 1000;
  }
  if (bucketCount(firstMs, lastMs, 600_000) <= MAX_BUCKETS) return 600_000;
  // Longer than 100 hours (only a concatenated NDJSON): whole minutes, as wide as needed.
  const minutes = Math.ceil((lastMs - firstMs + 1) / 60_000 / (MAX_BUCKETS - 1));
  return minutes * 60_000;
}

/** Buckets are aligned to multiples of their width since the epoch, so 1 s buckets are CloudWatch's seconds. */
function bucketCount(firstMs: number, lastMs: number, bucketMs: number): number {
  return Math.floor(lastMs / bucketMs) - Math.floor(firstMs / bucketMs) + 1;
}

function recordTimes(records: readonly ProbeRecord[]): number[] {
  const problems: Problem[] = [];
  const times = records.map((r, i) => {
    const t = Date.parse(r.time);
    if (!Number.isFinite(t)) problems.push({ field: `records[${i}].time`, value: renderValue(r.time), message: "is not an ISO 8601 time; the probe writes e.g. 2026-12-01T12:00:00.000Z. Fix or drop that line." });
    return t;
  });
  if (problems.length > 0) throw new ValidationError("chart", problems.slice(0, 20));
  return times;
}

export function chartData(records: readonly ProbeRecord[], options: ChartOptions): ChartData {
  const times = recordTimes(records);
  const weightTimes = options.weights?.points.map((p) => p.atMs) ?? [];
  const all = [...times, ...weightTimes];
  if (all.length === 0) throw new ValidationError("chart", [{ field: "records", value: "[]", message: "has no probe record and no release report to draw; run the probe (it writes one line per request) and chart its NDJSON." }]);
  const first = Math.min(...all);
  const last = Math.max(...all);
  if (options.bucketMs !== undefined && !(Number.isSafeInteger(options.bucketMs) && options.bucketMs >= 1000 && options.bucketMs % 1000 === 0)) {
    throw new ValidationError("chart", [{ field: "bucketMs", value: renderValue(options.bucketMs), message: "must be a whole number of seconds in ms (1000, 2000, …); leave it out to choose from the run's length." }]);
  }
  let bucketMs = options.bucketMs ?? chooseBucketMs(first, last, records.length);
  if (bucketCount(first, last, bucketMs) > MAX_BUCKETS) bucketMs = chooseBucketMs(first, last);
  const startMs = Math.floor(first / bucketMs) * bucketMs;
  const n = bucketCount(first, last, bucketMs);
  const bucketOf = (t: number) => Math.floor((t - startMs) / bucketMs);

  const totals = new Array<number>(n).fill(0);
  const failuresPerBucket = new Array<number>(n).fill(0);
  const marks: ChartFailure[] = [];
  const byVersion = new Map<string, { count: number; ok: number; firstMs: number; lastMs: number; perBucket: number[] }>();
  const order = records.map((_, i) => i).sort((a, b) => times[a] - times[b] || a - b);
  for (const i of order) {
    const r = records[i];
    const t = times[i];
    const b = bucketOf(t);
    totals[b]++;
    const version = r.version ?? NO_VERSION;
    let s = byVersion.get(version);
    if (s === undefined) byVersion.set(version, (s = { count: 0, ok: 0, firstMs: t, lastMs: t, perBucket: new Array<number>(n).fill(0) }));
    s.count++;
    s.lastMs = t;
    s.perBucket[b]++;
    if (isOk(r)) s.ok++;
    else {
      failuresPerBucket[b]++;
      if (marks.length < MAX_FAILURE_MARKS) marks.push({ atMs: t, client: r.client, route: r.route, status: r.status });
    }
  }
  const series: ChartSeries[] = [...byVersion.entries()]
    .map(([version, s]) => ({ version, ...s, share: s.perBucket.map((c, b) => (totals[b] === 0 ? null : c / totals[b])) }))
    // Newest first appearance first; (none) last, so it sits on top, away from the versions' boundary.
    .sort((a, b) => Number(a.version === NO_VERSION) - Number(b.version === NO_VERSION) || b.firstMs - a.firstMs);
  const ok = series.reduce((sum, s) => sum + s.ok, 0);
  return {
    title: options.title,
    startMs,
    endMs: startMs + n * bucketMs,
    bucketMs,
    totals,
    series: moveTargetFirst(series, options.weights?.target),
    failures: { total: records.length - ok, perBucket: failuresPerBucket, marks },
    requests: records.length,
    ok,
    routes: [...new Set(records.map((r) => r.route))],
    weights: options.weights,
  };
}

/** With a report, its target is stacked at the bottom, so the weights line traces the target's upper edge. */
function moveTargetFirst(series: ChartSeries[], target: string | undefined): ChartSeries[] {
  const i = series.findIndex((s) => s.version === target);
  return i <= 0 ? series : [series[i], ...series.slice(0, i), ...series.slice(i + 1)];
}
