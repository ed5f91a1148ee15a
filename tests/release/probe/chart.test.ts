import assert from "node:assert/strict";
import { DOMParser, onWarningStopParsing, type Element, type Node } from "@xmldom/xmldom";
import { ValidationError } from "../../../lib/validation";
import { chartData, chooseBucketMs, MAX_BUCKETS } from "../../../release/probe/chart-data";
import { esc, renderChartFile, renderHtml, renderSvg } from "../../../release/probe/chart-render";
import { chartLine } from "../../../release/probe/chart-file";
import { weightsFromReport } from "../../../release/probe/chart-weights";
import { summarise, type ProbeRecord } from "../../../release/probe/traffic";

const T0 = Date.parse("2026-12-01T12:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();
const rec = (ms: number, client: number, version: string | null, status: number | null = 200): ProbeRecord => ({
  time: at(ms),
  client,
  route: "POST /todo",
  todoId: `t0${client}-${ms}`,
  status,
  version,
  latencyMs: 5,
  ...(status === null ? { error: "fetch failed: connect ECONNREFUSED" } : {}),
});

/** A release report as `release --json` writes it (only the fields the chart reads matter). */
const report = (checks: Array<[number, number]>, finalPercent: number, outcome: string, finishedMs: number) => ({
  outcome,
  exitCode: outcome === "promoted" ? 0 : 1,
  message: "…",
  functionName: "shiftline-prod-api",
  alias: "live",
  fromVersion: "1",
  toVersion: "2",
  steps: [{ percent: 10, bakeSeconds: 130 }],
  finalPercent,
  smoke: [],
  checks: checks.map(([ms, percent]) => ({ at: at(ms), percent, healthy: true, reasons: [], notes: [] })),
  notes: [],
  skipped: [],
  startedAt: at(0),
  finishedAt: at(finishedMs),
});

describe("chart data from probe records", () => {
  it("puts a record sent at a bucket's end into the next bucket, buckets aligned to whole seconds", () => {
    const d = chartData([rec(250, 1, "1"), rec(999, 2, "1"), rec(1000, 1, "2"), rec(2999, 2, "2")], { title: "t", bucketMs: 1000 });
    assert.equal(d.bucketMs, 1000);
    assert.equal(d.startMs, T0);
    assert.equal(d.endMs, T0 + 3000);
    assert.deepEqual(d.totals, [2, 1, 1]);
    assert.deepEqual(d.series.map((s) => [s.version, s.perBucket, s.share]), [
      ["2", [0, 1, 1], [0, 1, 1]],
      ["1", [2, 0, 0], [1, 0, 0]],
    ]);
  });

  it("chooses 1 s buckets up to 600 of them, then widens (2 s, … 10 s for the probe's longest hour, whole minutes past 600 s)", () => {
    const table: Array<[number, number]> = [
      [3_000, 1000],
      [599_999, 1000],
      [600_000, 2000],
      [3_600_000, 10_000],
      [100 * 3_600_000, 660_000],
    ];
    for (const [span, width] of table) assert.equal(chooseBucketMs(T0, T0 + span), width, `span ${span} ms`);
    // Sparse: 9 requests over 8 minutes get 5-minute buckets (at least 3 a bucket), not 480 slivers.
    assert.equal(chooseBucketMs(T0, T0 + 480_000, 9), 300_000);
    assert.equal(chooseBucketMs(T0, T0 + 60_000, 600), 1000, "seed 000's 10 a second: 1 s");
    const long = chartData([rec(0, 1, "1"), rec(3_600_000, 1, "1")], { title: "t", bucketMs: 1000 });
    assert.ok(long.totals.length <= MAX_BUCKETS, `a forced 1 s width over an hour is widened, got ${long.totals.length} buckets`);
  });

  it("counts a request with no answer in the (none) series and marks it, and a 502 in its version's series", () => {
    const records = [rec(0, 1, "1"), rec(100, 2, null, null), rec(1200, 1, "2", 502), rec(1300, 2, "2")];
    const d = chartData(records, { title: "t", bucketMs: 1000 });
    assert.deepEqual(d.failures.perBucket, [1, 1]);
    assert.deepEqual(d.failures.marks, [
      { atMs: T0 + 100, client: 2, route: "POST /todo", status: null },
      { atMs: T0 + 1200, client: 1, route: "POST /todo", status: 502 },
    ]);
    assert.deepEqual([d.requests, d.ok, d.failures.total], [4, 2, 2]);
    const counts = Object.fromEntries(d.series.map((s) => [s.version, [s.count, s.ok]]));
    assert.deepEqual(counts, { "1": [1, 1], "2": [2, 1], "(none)": [1, 0] });
    // The same counts per version as the NDJSON summary (release/probe/traffic.ts), adding up to the requests.
    assert.deepEqual(Object.fromEntries(summarise(records).perVersion.map((v) => [v.version, v.count])), Object.fromEntries(d.series.map((s) => [s.version, s.count])));
    assert.equal(d.series.at(-1)?.version, "(none)", "stacked on top, away from the versions' boundary");
  });

  it("refuses records with a time that is not ISO 8601, and an empty run, naming the field", () => {
    assert.throws(() => chartData([{ ...rec(0, 1, "1"), time: "yesterday" }], { title: "t" }), /records\[0\]\.time = "yesterday": is not an ISO 8601 time/);
    assert.throws(() => chartData([], { title: "t" }), /records = \[\]: has no probe record/);
  });
});

describe("alias weights from a release report", () => {
  it("draws each check's share from the check before it, and a rollback from the failing check to the end", () => {
    // 10% from the start, judged at 5 s and 10 s; the 10 s check failed and the run rolled back at 11 s.
    const w = weightsFromReport(report([[5_000, 10], [10_000, 10]], 0, "rolled-back", 11_000));
    assert.deepEqual([w.target, w.previous, w.outcome], ["2", "1", "rolled-back"]);
    assert.deepEqual(w.segments, [
      { fromMs: T0, toMs: T0 + 10_000, percent: 10 },
      { fromMs: T0 + 10_000, toMs: T0 + 11_000, percent: 0 },
    ]);
  });

  it("follows a promotion 10 → 50 → 100 and overlays it on the chart, the target stacked at the bottom", () => {
    const w = weightsFromReport(report([[5_000, 10], [10_000, 50], [15_000, 100]], 100, "promoted", 15_000));
    assert.deepEqual(w.segments.map((s) => [s.fromMs - T0, s.toMs - T0, s.percent]), [
      [0, 5_000, 10],
      [5_000, 10_000, 50],
      [10_000, 15_000, 100],
    ]);
    const d = chartData([rec(0, 1, "1"), rec(12_000, 1, "2")], { title: "t", weights: w, bucketMs: 1000 });
    assert.equal(d.series[0].version, "2");
    assert.equal(d.endMs, T0 + 16_000, "the chart spans the report too");
  });

  it("names each field of a file that is not a release report", () => {
    const bad = { ...report([[5_000, 120]], 100, "promoted", 6_000), toVersion: undefined, startedAt: "soon" };
    const e = (() => {
      try {
        weightsFromReport(bad);
      } catch (err) {
        return err;
      }
    })();
    assert.ok(e instanceof ValidationError);
    assert.deepEqual(e.problems.map((p) => p.field).sort(), ["checks[0].percent", "startedAt", "toVersion"]);
    assert.match(e.message, /^release report: 3 problems/);
    assert.match(e.message, /checks\[0\]\.percent = 120: must be a number from 0 to 100/);
  });
});

/** Parses strictly: any warning or error in the XML throws. */
const parse = (xml: string) => new DOMParser({ onError: onWarningStopParsing }).parseFromString(xml, "text/xml");

function elements(node: Node): Element[] {
  const out: Element[] = [];
  for (let c = node.firstChild; c !== null; c = c.nextSibling) {
    if (c.nodeType === 1) out.push(c as Element, ...elements(c));
  }
  return out;
}

describe("chart rendering", () => {
  const hostile = "v<1>&\"'\u0001";
  const records = [rec(0, 1, hostile), rec(500, 2, "2"), rec(1500, 1, null, null), rec(2500, 2, "2", 503)];
  const data = chartData(records, { title: "probe of http://x/<script>alert(1)</script> & co", bucketMs: 1000, weights: weightsFromReport(report([[1_000, 10]], 100, "promoted", 2_000)) });

  it("writes well-formed XML, SVG and HTML alike, with every text escaped", () => {
    for (const text of [renderSvg(data), renderHtml(data), renderChartFile("c.svg", data)]) {
      const doc = parse(text);
      const all = elements(doc);
      assert.equal(all.filter((e) => e.tagName === "script").length, 0, "the title's <script> stays text");
      const title = all.find((e) => e.getAttribute("id") === "chart-title");
      assert.equal(title?.firstChild?.nodeValue, "probe of http://x/<script>alert(1)</script> & co");
      assert.ok(all.some((e) => e.tagName === "tspan" && e.textContent === "4 requests: 2 ok, 2 failed"), "totals under the title");
      const v = all.find((e) => e.getAttribute("class") === "series" && e.getAttribute("data-version")?.startsWith("v<1>"));
      assert.equal(v?.getAttribute("data-version"), "v<1>&\"'?", "a character XML cannot carry becomes ?");
    }
    assert.equal(esc("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
  });

  it("loads nothing: no script, link, image or URL but the SVG namespace; the counts are readable from the file", () => {
    for (const text of [renderSvg(data), renderHtml(data)]) {
      const all = elements(parse(text));
      assert.deepEqual(all.filter((e) => /^(script|link|img|image|use|iframe|foreignObject|object|embed)$/i.test(e.tagName)).map((e) => e.tagName), []);
      for (const e of all) {
        for (let i = 0; i < e.attributes.length; i++) {
          const a = e.attributes.item(i);
          if (a === null || (a.name === "xmlns" && a.value === "http://www.w3.org/2000/svg")) continue;
          assert.doesNotMatch(a.value, /\b(https?:|url\()/i, `${e.tagName} ${a.name}`);
        }
      }
      for (const style of all.filter((e) => e.tagName === "style")) assert.doesNotMatch(style.textContent ?? "", /url\(|@import|@font-face/);
      const series = all.filter((e) => e.getAttribute("class") === "series");
      assert.deepEqual(series.map((e) => [e.getAttribute("data-version"), e.getAttribute("data-count"), e.getAttribute("data-per-bucket")]).sort(), [
        ["(none)", "1", "0,1,0"],
        ["2", "2", "1,0,1"],
        ["v<1>&\"'?", "1", "1,0,0"],
      ]);
      assert.equal(all.filter((e) => e.getAttribute("class") === "failure").length, 2);
    }
    assert.match(renderHtml(data), /<table>[\s\S]*<td>all<\/td><td>4<\/td>/);
  });
});

describe("chart edge cases (review)", () => {
  it("keeps a run with fewer requests than a bucket's minimum at its own length: one request, or a report's weights alone, are not drawn in 10-minute buckets", () => {
    // One record: a single 1 s bucket, not a 600 s one with the request lost somewhere in it.
    const one = chartData([rec(400, 1, "1")], { title: "t" });
    assert.equal(one.bucketMs, 1000);
    assert.deepEqual(one.totals, [1]);
    // Two requests 4 s apart: the narrowest width that holds them in one bucket (5 s).
    assert.equal(chooseBucketMs(T0, T0 + 4_000, 2), 5000);
    // A failed smoke gate (no check, 5 s from start to finish) with no probe record: 1 s buckets, so the 0% line spans the chart.
    const w = weightsFromReport(report([], 0, "smoke-failed", 5_000));
    const weightsOnly = chartData([], { title: "t", weights: w });
    assert.equal(weightsOnly.bucketMs, 1000);
    assert.equal(weightsOnly.endMs - weightsOnly.startMs, 6_000);
  });

  it("says 'no requests' in the failure strip when none was sent, not that every request was answered 200", () => {
    const svg = renderSvg(chartData([], { title: "t", weights: weightsFromReport(report([], 0, "smoke-failed", 5_000)) }));
    assert.doesNotMatch(svg, /every request was answered 200/);
    assert.match(svg, /no requests/);
  });

  it("labels the x axis h:mm:ss when its ticks are, from an hour on", () => {
    const hour = renderSvg(chartData([rec(0, 1, "1"), rec(3_600_000, 1, "1")], { title: "t" }));
    assert.match(hour, />1:00:00</);
    assert.match(hour, /\(h:mm:ss\)/);
    assert.doesNotMatch(hour, /\(m:ss\)/);
    assert.match(renderSvg(chartData([rec(0, 1, "1"), rec(30_000, 1, "1")], { title: "t" })), /\(m:ss\)/);
  });

  it("draws the legend's swatch for (none) as light as its area (the same fill-opacity)", () => {
    const svg = renderSvg(chartData([rec(0, 1, "1"), rec(100, 2, null, null)], { title: "t" }));
    const all = elements(parse(svg));
    const area = all.find((e) => e.getAttribute("class") === "series" && e.getAttribute("data-version") === "(none)");
    const swatch = all.find((e) => e.tagName === "rect" && e.getAttribute("width") === "14" && e.getAttribute("fill") === area?.getAttribute("fill"));
    assert.ok(area !== undefined && swatch !== undefined);
    assert.equal(swatch.getAttribute("fill-opacity"), area.getAttribute("fill-opacity"));
  });
});

describe("chart wording (review)", () => {
  it("says '1 request', not '1 requests', in the subtitle and the printed chart line", () => {
    const d = chartData([rec(0, 1, "1")], { title: "t" });
    assert.match(renderSvg(d), />1 request: 1 ok, 0 failed</);
    assert.match(chartLine("c.html", d), /\(1 request in 1 bucket of 1 s;/);
  });
});
