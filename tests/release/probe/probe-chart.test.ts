import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import FakeTimers from "@sinonjs/fake-timers";
import { fakeClock } from "../../helpers/fake-clock";
import { probeMain } from "../../../release/cli/probe";
import { runProbe } from "../../../release/probe/run";
import { defaultChartPath } from "../../../release/probe/chart-file";
import { parseRecords, recordLine, type ProbeOptions, type ProbeRecord } from "../../../release/probe/traffic";


const noFetch = (async () => {
  throw new Error("no request may be sent");
}) as typeof fetch;

describe("probe --read", () => {
  const opts: ProbeOptions = { baseUrl: "http://127.0.0.1:1/prod", clients: 2, intervalMs: 300, durationS: 1, finishFile: "finish.txt", out: "-", title: "アレを買う", timeoutMs: 1000, read: true };

  it("reads back each item it wrote with GET /todo/{todoId} (same client, same id), and skips the read after a failed write", async () => {
    const fc = FakeTimers.createClock(0);
    const calls: string[] = [];
    const fetcher = (async (url: string | URL, init?: RequestInit) => {
      calls.push(`${init?.method ?? "GET"} ${String(url)}`);
      const failWrite = init?.method === "POST" && String(init.body).includes("t02-0002");
      return new Response("{}", { status: failWrite ? 500 : 200, headers: { "x-function-version": "3" } });
    }) as typeof fetch;
    const run = runProbe(opts, { clock: fakeClock(fc), fetch: fetcher, finishExists: () => false, record: () => undefined, progress: () => undefined });
    await fc.tickAsync(1_100);
    const records = await run;
    const client2 = records.filter((r) => r.client === 2).map((r) => `${r.route} ${r.todoId} ${r.status}`);
    assert.deepEqual(client2, ["POST /todo t02-0001 200", "GET /todo/{todoId} t02-0001 200", "POST /todo t02-0002 500", "POST /todo t02-0003 200", "GET /todo/{todoId} t02-0003 200", "POST /todo t02-0004 200", "GET /todo/{todoId} t02-0004 200"]);
    assert.ok(calls.includes("GET http://127.0.0.1:1/prod/todo/t01-0001"), calls.join("\n"));
  });

  it("sends only POST /todo by default, as seed 000's poster.py", async () => {
    const fc = FakeTimers.createClock(0);
    const run = runProbe({ ...opts, read: undefined }, { clock: fakeClock(fc), fetch: (async () => new Response("{}", { status: 200 })) as typeof fetch, finishExists: () => false, record: () => undefined, progress: () => undefined });
    await fc.tickAsync(1_100);
    assert.deepEqual(new Set((await run).map((r) => r.route)), new Set(["POST /todo"]));
  });
});

describe("probe chart files", () => {
  let dir = "";
  let out = "";
  let err = "";
  const io = (fc = FakeTimers.createClock(Date.parse("2026-12-01T12:00:00Z")), fetcher: typeof fetch = noFetch) => ({
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    clock: fakeClock(fc),
    fetch: fetcher,
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "shiftline-chart-"));
    out = "";
    err = "";
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string) => path.join(dir, name);
  const sample = (): ProbeRecord[] => [
    { time: "2026-12-01T12:00:00.000Z", client: 1, route: "POST /todo", todoId: "t01-0001", status: 200, version: "1", latencyMs: 3 },
    { time: "2026-12-01T12:00:01.000Z", client: 1, route: "POST /todo", todoId: "t01-0002", status: 200, version: "2", latencyMs: 3 },
  ];

  it("writes the chart beside the NDJSON by default (probe.ndjson → probe.html), and none with --no-chart", async () => {
    assert.equal(defaultChartPath("runs/probe.ndjson"), "runs/probe.html");
    assert.equal(defaultChartPath("runs/probe.log"), "runs/probe.log.html");
    const fc = FakeTimers.createClock(Date.parse("2026-12-01T12:00:00Z"));
    const answering = (async () => new Response("{}", { status: 200, headers: { "x-function-version": "7" } })) as typeof fetch;
    const args = (name: string) => ["http://127.0.0.1:1", "--clients", "1", "--interval-ms", "500", "--duration", "2", "--out", file(name), "--finish-file", file("finish.txt")];
    const run = probeMain(args("a.ndjson"), io(fc, answering));
    await fc.tickAsync(2_100);
    assert.equal(await run, 0, err);
    assert.match(readFileSync(file("a.html"), "utf8"), /data-version="7" data-count="4"/);
    assert.match(out, /chart: .*a\.html \(4 requests in 1 bucket of 2 s; per version 7 4; 0 failed\)/);
    const quiet = probeMain([...args("b.ndjson"), "--no-chart"], io(fc, answering));
    await fc.tickAsync(2_100);
    assert.equal(await quiet, 0, err);
    assert.equal(existsSync(file("b.html")), false);
  });

  it("draws an earlier run's NDJSON with --from, sending nothing, with the report's weights; exit code as the probe's", async () => {
    writeFileSync(file("p.ndjson"), sample().map(recordLine).join(""));
    const report = { outcome: "promoted", fromVersion: "1", toVersion: "2", finalPercent: 100, checks: [{ at: "2026-12-01T12:00:01.000Z", percent: 100 }], startedAt: "2026-12-01T12:00:00.500Z", finishedAt: "2026-12-01T12:00:01.500Z" };
    writeFileSync(file("release.json"), JSON.stringify(report));
    assert.equal(await probeMain(["--from", file("p.ndjson"), "--report", file("release.json"), "--chart", file("c.svg")], io()), 0, err);
    const svg = readFileSync(file("c.svg"), "utf8");
    assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg /);
    assert.match(svg, /<title>alias weight on version 2 \(release promoted\)<\/title>/);
    assert.match(out, /total\s+2\s+0\n/);
    writeFileSync(file("f.ndjson"), [...sample(), { ...sample()[0], todoId: "t01-0003", status: null, version: null, error: "timeout" }].map(recordLine).join(""));
    assert.equal(await probeMain(["--from", file("f.ndjson")], io()), 1);
    assert.equal(parseRecords(readFileSync(file("f.ndjson"), "utf8")).length, 3);
    assert.match(readFileSync(file("f.html"), "utf8"), /data-failures="1"/);
  });

  it("refuses, naming flag, value and fix: a chart name that is neither .html nor .svg, --from with a URL or a bad file, a report that is not one", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["http://127.0.0.1:1", "--chart", "x.png"], /--chart = "x\.png": must end in \.html .* or \.svg/],
      [["http://127.0.0.1:1", "--from", file("p.ndjson")], /<baseUrl> = "http:\/\/127\.0\.0\.1:1": --from draws a chart from a file and sends nothing/],
      [["--from", file("missing.ndjson")], /--from = ".*missing\.ndjson": ENOENT.*pass the NDJSON an earlier probe wrote/],
      [["--from", file("bad.ndjson")], /--from = ".*bad\.ndjson": line 2 is not JSON/],
      [["--from", file("p.ndjson"), "--no-chart"], /--no-chart = true: with --from there is nothing else to do/],
      [["--from", file("p.ndjson"), "--report", file("p.ndjson")], /--report = ".*p\.ndjson": is not JSON; pass the JSON report of a release/],
      [["--from", file("p.ndjson"), "--report", file("other.json")], /--report\.finishedAt = \(missing\): must be an ISO 8601 time/],
    ];
    writeFileSync(file("p.ndjson"), sample().map(recordLine).join(""));
    writeFileSync(file("bad.ndjson"), `${recordLine(sample()[0])}{oops\n`);
    writeFileSync(file("other.json"), JSON.stringify({ outcome: "promoted", toVersion: "2", finalPercent: 100, checks: [], startedAt: "2026-12-01T12:00:00Z" }));
    for (const [argv, message] of cases) {
      err = "";
      assert.equal(await probeMain(argv, io()), 2, argv.join(" "));
      assert.match(err, message, argv.join(" "));
    }
    assert.equal(existsSync(file("p.html")), false, "nothing written on bad input");
  });

  describe("not lost (review)", () => {
    const line = (time: string) => recordLine({ time, client: 1, route: "POST /todo", todoId: "t01-0001", status: 200, version: "1", latencyMs: 3 });

    it("refuses a --chart that is the --out NDJSON or the finish file, before sending (the chart would overwrite the answers)", async () => {
      writeFileSync(file("keep.svg"), "previous");
      const cases: Array<[string[], RegExp]> = [
        [["http://127.0.0.1:1", "--out", file("keep.svg"), "--chart", file("keep.svg")], /--chart = ".*keep\.svg": is the --out file too/],
        [["http://127.0.0.1:1", "--out", file("a.ndjson"), "--chart", path.join(dir, ".", "x", "..", "keep.svg"), "--finish-file", file("keep.svg")], /--chart = ".*keep\.svg": is the --finish-file too/],
        [["http://127.0.0.1:1", "--out", file("finish.txt"), "--finish-file", file("finish.txt")], /--out = ".*finish\.txt": is the --finish-file too/],
      ];
      for (const [argv, message] of cases) {
        err = "";
        assert.equal(await probeMain(argv, io()), 2, argv.join(" "));
        assert.match(err, message, argv.join(" "));
      }
      assert.equal(readFileSync(file("keep.svg"), "utf8"), "previous");
    });

    it("names the --from line whose time is not ISO 8601 (not --chart), and leaves the previous chart alone", async () => {
      writeFileSync(file("p.ndjson"), line("2026-12-01T12:00:00.000Z") + line("yesterday"));
      writeFileSync(file("p.html"), "previous");
      assert.equal(await probeMain(["--from", file("p.ndjson")], io()), 2);
      assert.match(err, /--from = ".*p\.ndjson": line 2 has a time that is not ISO 8601/);
      assert.doesNotMatch(err, /--chart/);
      assert.equal(readFileSync(file("p.html"), "utf8"), "previous");
    });

    it("writes the chart whole or not at all: a write that fails half way (disk full) leaves the previous chart as it was", async () => {
      writeFileSync(file("p.ndjson"), line("2026-12-01T12:00:00.000Z"));
      writeFileSync(file("p.html"), "previous");
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fs = require("node:fs") as typeof import("node:fs");
      const real = fs.writeFileSync;
      fs.writeFileSync = ((target: string, data: string) => {
        real(target, data.slice(0, 10));
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      }) as typeof fs.writeFileSync;
      let code: number;
      try {
        code = await probeMain(["--from", file("p.ndjson")], io());
      } finally {
        fs.writeFileSync = real;
      }
      assert.equal(code, 2);
      assert.match(err, /--chart = ".*p\.html": cannot be written \(ENOSPC/);
      assert.equal(readFileSync(file("p.html"), "utf8"), "previous");
      assert.deepEqual(readdirSync(dir).sort(), ["p.html", "p.ndjson"], "no temporary file left behind");
    });
  });
});
