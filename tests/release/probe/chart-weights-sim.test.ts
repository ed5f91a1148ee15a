/**
 * The weights line's rule (release/probe/chart-weights.ts: a check's share is drawn from the check
 * before it) checked against the real controller: one simulated prod release (bench/release,
 * the same run `npm run picture` draws), whose simulated alias records every write. The line
 * read back from the report must change exactly when, and to what, the alias was written.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { simulateProbedRelease, pictureData, PICTURE_FILE } from "../../../bench/release/picture";
import { renderChartFile } from "../../../release/probe/chart-render";
import { weightsFromReport } from "../../../release/probe/chart-weights";

describe("alias weights from a simulated release's report", function () {
  this.timeout(30_000);

  it("change at the simulated alias's writes, to the share each write gave the target, and the picture's probe matches them", async () => {
    const run = await simulateProbedRelease(1);
    assert.equal(run.report.outcome, "promoted");
    const w = weightsFromReport(run.report);
    const target = run.report.toVersion ?? "";
    const written = run.writes.map((x) => ({ atMs: x.atMs, percent: x.functionVersion === target ? 100 : Math.round((x.weights[target] ?? 0) * 100) }));
    // Equal neighbours merge (the promotion's last write keeps the target at 100%).
    const changes = written.filter((x, i) => i === 0 || x.percent !== written[i - 1].percent);
    assert.deepEqual(w.segments.map((s) => ({ atMs: s.fromMs, percent: s.percent })), changes);
    assert.equal(w.segments.at(-1)?.toMs, Date.parse(run.report.finishedAt));

    const data = pictureData(run, 1);
    assert.deepEqual(data.series.map((s) => s.version).sort(), ["1", "2"]);
    assert.equal(data.series.reduce((n, s) => n + s.count, 0), run.records.length);
    assert.equal(data.failures.total, 0);
    const firstV2 = Math.min(...run.records.filter((r) => r.version === "2").map((r) => Date.parse(r.time)));
    assert.ok(firstV2 >= changes[0].atMs, "no probe request reached version 2 before the first write");
    // The README shows docs/release-chart.svg: it must be what `npm run picture` draws from today's controller and settings.
    assert.equal(readFileSync(PICTURE_FILE, "utf8"), renderChartFile(PICTURE_FILE, data), "docs/release-chart.svg is stale: run npm run picture and commit it");
  });
});
