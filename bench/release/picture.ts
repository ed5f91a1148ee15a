/**
 * `npm run picture`: the README's picture of one release, `docs/release-chart.svg`, made with
 * the release simulator and the probe's own chart code, deterministic from its seed.
 *
 * One simulated prod release (Pulumi.prod.yaml's settings, the real controller driven as
 * simulate.ts drives it: releaseWithShiftline in a World with an hour of history), and beside
 * it seed 000's probe as simulated clients: 3 clients each sending every 300 ms from 15 s
 * before the release until 10 s after it, each request routed by the simulated alias's weights
 * at that moment (the same rule as world.ts: weighted versions by their weight, the primary
 * otherwise) with its own seeded random, so the probe does not change the World's traffic or
 * the release's decisions. The release's JSON report gives the weights line, as `release --probe`
 * does. Nothing is sent anywhere.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { chartData, type ChartData } from "../../release/probe/chart-data";
import { renderChartFile } from "../../release/probe/chart-render";
import { weightsFromReport } from "../../release/probe/chart-weights";
import { todoId, type ProbeRecord } from "../../release/probe/traffic";
import type { ReleaseReport } from "../../release/engine/report";
import { releaseWithShiftline } from "./contenders";
import { lognormalLatency, seeded } from "./random";
import { HEALTHY } from "./simulate";
import { World, type AliasWrite } from "./world";

export const PICTURE_FILE = join(__dirname, "..", "..", "docs", "release-chart.svg");
const EPOCH = Date.UTC(2027, 0, 1);
const HISTORY_MS = 65 * 60_000;
const CLIENTS = 3;
const INTERVAL_MS = 300;
const LEAD_MS = 15_000;
const TAIL_MS = 10_000;

export interface ProbedRelease {
  readonly records: ProbeRecord[];
  readonly report: ReleaseReport;
  /** The simulated alias's writes, to check the report's weights against. */
  readonly writes: readonly AliasWrite[];
}

/** Runs one good prod release (10 rps, both versions healthy) with the simulated probe beside it. */
export async function simulateProbedRelease(seed: number): Promise<ProbedRelease> {
  const world = new World({ seed, rps: 10, versions: { "1": HEALTHY, "2": HEALTHY }, primary: "1", emfDelaySeconds: 10, standardDelaySeconds: 60, startMs: EPOCH });
  const releaseAt = EPOCH + HISTORY_MS + ((seed * 7919) % 60_000);
  world.advanceTo(releaseAt - LEAD_MS);

  const random = seeded(seed ^ 0x5eed);
  const records: ProbeRecord[] = [];
  const counts = new Array<number>(CLIENTS + 1).fill(0);
  let nextSend = world.nowMs;
  const route = () => {
    let u = random();
    for (const [version, weight] of Object.entries(world.alias.weights)) {
      if (u < weight) return version;
      u -= weight;
    }
    return world.alias.functionVersion;
  };
  // Every probe request up to `ms` is routed by the alias as it is now: the release writes the
  // alias only between the World's advances, so this is the alias those requests met.
  const advance = world.advanceTo.bind(world);
  world.advanceTo = (ms: number) => {
    for (; nextSend <= ms; nextSend += INTERVAL_MS) {
      for (let c = 1; c <= CLIENTS; c++) {
        const at = nextSend + c * 13;
        const version = route();
        const b = world.options.versions[version];
        const u = random();
        const status = u < b.unhandledRate ? 502 : u < b.unhandledRate + b.handledErrorRate ? 500 : 200;
        const latencyMs = Math.round(lognormalLatency(random, b.latencyMedianMs, b.latencyP99Ms));
        records.push({ time: new Date(at).toISOString(), client: c, route: "POST /todo", todoId: todoId(c, ++counts[c]), status, version, latencyMs });
      }
    }
    advance(ms);
  };
  world.advanceTo(releaseAt);
  const { report } = await releaseWithShiftline(world, "2");
  world.advanceTo(world.nowMs + TAIL_MS);
  return { records, report, writes: world.writes };
}

export function pictureData(run: ProbedRelease, seed: number): ChartData {
  const r = run.report;
  return chartData(run.records, {
    title: `Simulated prod release ${r.fromVersion ?? "?"} → ${r.toVersion ?? "?"} (${r.outcome}), release simulator seed ${seed}`,
    weights: weightsFromReport(r),
    // 5 s buckets: at 10 requests a second, a 1 s bucket of the 10% step holds one request of
    // the new version or none, and the picture would be noise around the weights line.
    bucketMs: 5_000,
  });
}

if (require.main === module) {
  const seed = 1;
  simulateProbedRelease(seed).then(
    (run) => {
      const data = pictureData(run, seed);
      mkdirSync(dirname(PICTURE_FILE), { recursive: true });
      writeFileSync(PICTURE_FILE, renderChartFile(PICTURE_FILE, data));
      const versions = data.series.map((s) => `version ${s.version} ${s.count}`).join(", ");
      process.stdout.write(`${PICTURE_FILE}: ${run.report.outcome} in ${(Date.parse(run.report.finishedAt) - Date.parse(run.report.startedAt)) / 1000} s; ${data.requests} probe requests (${versions}), ${data.failures.total} failed\n`);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error && e.stack ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
