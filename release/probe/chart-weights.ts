/**
 * The alias's weights over time, read back from a release's JSON report (release/engine/report.ts
 * `ReleaseReport`), for the version-mix chart.
 *
 * The report has no list of alias writes, but every health check records the share on the
 * target while it ran (`checks[].percent`), and the controller writes the alias right after the
 * check that ends a step (release/engine/controller.ts: bake → shiftTo), and rolls back right after the
 * check that fails. So the share a check saw is drawn from the previous known point on:
 *   - startedAt: 0% on the target (the first step's write follows preflight and the smoke gate,
 *     a few seconds after the start on real AWS, so the first rise is drawn up to that early);
 *   - each check: its percent, held back to the previous point;
 *   - finishedAt: `finalPercent` (0 after a rollback, 100 after promotion).
 * A `--resume`d run began at the share it found, which the report does not say: it is drawn
 * from 0% like a fresh one. The previous version's weight is 100 minus the target's.
 */
import { z } from "zod";
import { parseOrThrow } from "../../lib/validation";

export interface WeightPoint {
  readonly atMs: number;
  /** Share on the target, 0–100. */
  readonly percent: number;
  readonly source: "start" | "check" | "end";
}

/** One stretch of constant weight: [fromMs, toMs). */
export interface WeightSegment {
  readonly fromMs: number;
  readonly toMs: number;
  readonly percent: number;
}

export interface WeightsSeries {
  readonly target: string;
  readonly previous?: string;
  readonly outcome: string;
  readonly points: readonly WeightPoint[];
  readonly segments: readonly WeightSegment[];
}

const iso = z.iso.datetime({ offset: true, error: "must be an ISO 8601 time like 2026-12-01T12:00:00.000Z (the release's --json report writes one)" });
const percent = z.number({ error: "must be a number from 0 to 100" }).min(0, { error: "must be a number from 0 to 100" }).max(100, { error: "must be a number from 0 to 100" });

/** The part of a ReleaseReport the chart reads; other fields are left alone. */
const reportSchema = z.object({
  outcome: z.string({ error: "must be the release's outcome, e.g. \"promoted\"" }),
  fromVersion: z.string().optional(),
  toVersion: z.string({ error: "is required: the version released (a report of a release that never chose one has no weights to draw)" }),
  finalPercent: percent,
  checks: z.array(z.object({ at: iso, percent }), { error: "must be the report's list of health checks" }),
  startedAt: iso,
  finishedAt: iso,
});

/** Throws ValidationError naming each field (after `prefix`, e.g. `--report.checks[2].at`) of what is not a release report. */
export function weightsFromReport(report: unknown, prefix = ""): WeightsSeries {
  const r = parseOrThrow(reportSchema, report, "release report", prefix);
  const points: WeightPoint[] = [
    { atMs: Date.parse(r.startedAt), percent: 0, source: "start" as const },
    ...r.checks.map((c) => ({ atMs: Date.parse(c.at), percent: c.percent, source: "check" as const })),
    { atMs: Date.parse(r.finishedAt), percent: r.finalPercent, source: "end" as const },
  ].sort((a, b) => a.atMs - b.atMs);
  return { target: r.toVersion, previous: r.fromVersion, outcome: r.outcome, points, segments: segmentsOf(points) };
}

/** Each point's share, held back to the previous point (see the file comment); equal neighbours merge. */
export function segmentsOf(points: readonly WeightPoint[]): WeightSegment[] {
  const segments: WeightSegment[] = [];
  for (let i = 1; i < points.length; i++) {
    const { atMs, percent } = points[i];
    const fromMs = points[i - 1].atMs;
    const last = segments.at(-1);
    if (last !== undefined && last.percent === percent) segments[segments.length - 1] = { ...last, toMs: atMs };
    else if (atMs > fromMs) segments.push({ fromMs, toMs: atMs, percent });
  }
  return segments;
}
