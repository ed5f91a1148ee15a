import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import FakeTimers from "@sinonjs/fake-timers";
import { fakeClock } from "../../helpers/fake-clock";
import { ValidationError } from "../../../lib/validation";
import { buildProbeProgram, PROBE_EXIT_HELP, probeExit, probeMain } from "../../../release/cli/probe";
import { runProbe } from "../../../release/probe/run";
import { nextSendAt, parseRecords, probeOptions, renderSummary, summarise, todoId, type ProbeOptions, type ProbeRecord } from "../../../release/probe/traffic";

// A fixed sample: client 1 answered by version 1 then 2, client 2 has a 502 and a network failure.
const SAMPLE = [
  '{"time":"2026-12-01T12:00:00.000Z","client":1,"route":"POST /todo","todoId":"t01-0001","status":200,"version":"1","latencyMs":12}',
  '{"time":"2026-12-01T12:00:00.001Z","client":2,"route":"POST /todo","todoId":"t02-0001","status":200,"version":"1","latencyMs":11}',
  '{"time":"2026-12-01T12:00:00.300Z","client":1,"route":"POST /todo","todoId":"t01-0002","status":200,"version":"2","latencyMs":9}',
  '{"time":"2026-12-01T12:00:00.301Z","client":2,"route":"POST /todo","todoId":"t02-0002","status":502,"version":"2","latencyMs":30}',
  '{"time":"2026-12-01T12:00:00.601Z","client":2,"route":"POST /todo","todoId":"t02-0003","status":null,"version":null,"latencyMs":3,"error":"fetch failed: connect ECONNREFUSED 127.0.0.1:3000"}',
  "",
].join("\n");

describe("probe: pure parts", () => {
  it("uses seed 000's id format t<client:02>-<count:04>", () => {
    assert.equal(todoId(1, 1), "t01-0001");
    assert.equal(todoId(3, 57), "t03-0057");
    assert.equal(todoId(12, 12345), "t12-12345");
  });

  it("schedules the next send one interval after the last was due, but not before its answer", () => {
    assert.equal(nextSendAt(1000, 1010, 300), 1300);
    assert.equal(nextSendAt(1000, 1450, 300), 1450, "a slow answer delays the next send instead of bursting");
  });

  it("summarises a fixed NDJSON sample into poster.py's ok/ng per client and counts per version", () => {
    const s = summarise(parseRecords(SAMPLE));
    assert.deepEqual(s.perClient, [
      { client: 1, ok: 2, ng: 0 },
      { client: 2, ok: 1, ng: 2 },
    ]);
    assert.deepEqual(s.perVersion, [
      { version: "1", count: 2 },
      { version: "2", count: 2 },
      { version: "(none)", count: 1 },
    ]);
    assert.deepEqual([s.requests, s.ok, s.failures], [5, 3, 2]);
    assert.equal(probeExit(s), 1);
    assert.equal(
      renderSummary(s),
      ["client  ok  ng", "t01      2   0", "t02      1   2", "total    3   2", "", "answers per x-function-version:", "  version 1: 2 (40%)", "  version 2: 2 (40%)", "  (none): 1 (20%)", ""].join("\n"),
    );
  });

  it("exits 0 only when every request was answered 200, and 1 when none was sent", () => {
    const lines = SAMPLE.split("\n").slice(0, 3).join("\n");
    assert.equal(probeExit(summarise(parseRecords(lines))), 0);
    assert.equal(probeExit(summarise([])), 1);
  });

  it("names the line of an NDJSON file that is not a record", () => {
    assert.throws(() => parseRecords(`${SAMPLE}{"time":1}\n`), /line 6 is not a probe record/);
    assert.throws(() => parseRecords("nope\n"), /line 1 is not JSON/);
  });

  it("validates the URL and flags, naming every problem", () => {
    assert.equal(probeOptions("http://localhost:3000/", {}).baseUrl, "http://localhost:3000");
    assert.equal(probeOptions("https://abc.execute-api.eu-west-1.amazonaws.com/prod/", {}).baseUrl, "https://abc.execute-api.eu-west-1.amazonaws.com/prod");
    const defaults = probeOptions("http://127.0.0.1:3000", {});
    assert.deepEqual([defaults.clients, defaults.intervalMs, defaults.durationS, defaults.finishFile, defaults.out], [3, 300, 3600, "finish.txt", "probe.ndjson"]);
    const err = (() => {
      try {
        probeOptions("ftp://x", { clients: "0", intervalMs: "10", duration: "3601", timeoutMs: "1.5" });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof ValidationError);
    assert.deepEqual(
      err.problems.map((p) => p.field),
      ["<baseUrl>", "--clients", "--interval-ms", "--duration", "--timeout-ms"],
    );
    assert.match(err.message, /--duration = "3601": must be a whole number from 1 to 3600/);
    assert.throws(() => probeOptions(undefined, {}), /<baseUrl> = \(missing\): is required/);
    assert.throws(() => probeOptions("http://u:p@localhost:3000", {}), /without credentials/);
  });

  it("exits 2 on bad input with the message on stderr", async () => {
    let err = "";
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, clock: fakeClock(FakeTimers.createClock(0)), fetch };
    assert.equal(await probeMain(["nope", "--clients", "x"], io), 2);
    assert.match(err, /<baseUrl> = "nope": is not a URL/);
    assert.match(err, /--clients = "x"/);
  });
});


describe("probe: runProbe on a fake clock", () => {
  const opts: ProbeOptions = { baseUrl: "http://127.0.0.1:1", clients: 3, intervalMs: 100, durationS: 1, finishFile: "finish.txt", out: "-", title: "アレを買う", timeoutMs: 1000 };
  const answering = (version: () => string): typeof fetch => (async () => new Response('{"message":"ok"}', { status: 200, headers: { "x-function-version": version() } })) as typeof fetch;

  it("sends from each client every interval for the duration, then stops by itself", async () => {
    const fc = FakeTimers.createClock(0);
    const recorded: ProbeRecord[] = [];
    const run = runProbe(opts, { clock: fakeClock(fc), fetch: answering(() => (fc.now < 500 ? "1" : "2")), finishExists: () => false, record: (r) => recorded.push(r), progress: () => undefined });
    await fc.tickAsync(1_100);
    const records = await run;
    assert.equal(records.length, 30, "3 clients x sends at 0, 100, ..., 900 ms");
    assert.deepEqual(recorded, records);
    assert.deepEqual(
      records.filter((r) => r.client === 2).map((r) => r.todoId),
      Array.from({ length: 10 }, (_, i) => todoId(2, i + 1)),
    );
    assert.deepEqual(summarise(records).perVersion, [
      { version: "1", count: 15 },
      { version: "2", count: 15 },
    ]);
  });

  it("stops when the finish file appears, without waiting out the interval", async () => {
    const fc = FakeTimers.createClock(0);
    const run = runProbe({ ...opts, intervalMs: 300, durationS: 60 }, { clock: fakeClock(fc), fetch: answering(() => "1"), finishExists: () => fc.now >= 350, record: () => undefined, progress: () => undefined });
    await fc.tickAsync(500);
    const records = await run;
    assert.equal(fc.now, 500);
    assert.deepEqual(
      records.map((r) => r.todoId).sort(),
      ["t01-0001", "t01-0002", "t02-0001", "t02-0002", "t03-0001", "t03-0002"],
      "sends at 0 and 300 ms; the finish file, seen at 400 ms, stops the sends due at 600 ms",
    );
  });

  it("records a network failure with its error text and prints a progress line every 5 s", async () => {
    const fc = FakeTimers.createClock(0);
    const lines: string[] = [];
    const failing = (async () => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:1") });
    }) as typeof fetch;
    const run = runProbe({ ...opts, clients: 1, intervalMs: 1000, durationS: 12 }, { clock: fakeClock(fc), fetch: failing, finishExists: () => false, record: () => undefined, progress: (l) => lines.push(l) });
    await fc.tickAsync(13_000);
    const records = await run;
    assert.equal(records.length, 12);
    assert.deepEqual([records[0].status, records[0].version, records[0].error], [null, null, "fetch failed: connect ECONNREFUSED 127.0.0.1:1"]);
    // "(none)" is not a version: it is printed as the summary prints it, without the "v" of "v2".
    assert.deepEqual(lines, ["probe 5s: 5 requests, 5 failed; last 5: (none) 100%", "probe 10s: 10 requests, 10 failed; last 5: (none) 100%"]);
  });
  it("on a terminal rewrites one progress line in place every second and clears it before the table", async () => {
    const fc = FakeTimers.createClock(0);
    let out = "";
    const io = { stdout: { write: (s: string) => (out += s), isTTY: true }, stderr: { write: () => true }, clock: fakeClock(fc), fetch: answering(() => "7") };
    const dir = mkdtempSync(path.join(tmpdir(), "shiftline-probe-unit-"));
    try {
      const run = probeMain(["http://127.0.0.1:1", "--clients", "1", "--interval-ms", "500", "--duration", "3", "--out", path.join(dir, "p.ndjson"), "--finish-file", path.join(dir, "finish.txt")], io);
      await fc.tickAsync(3_100);
      assert.equal(await run, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const parts = out.split("\r\x1b[K");
    assert.deepEqual(parts.slice(1, -1), ["probe 1s: 2 requests, 0 failed; last 2: v7 100%", "probe 2s: 4 requests, 0 failed; last 2: v7 100%"], "rewritten in place, no newline");
    assert.ok(parts[parts.length - 1].startsWith("client  ok  ng\nt01      6   0\n"), "the line is cleared before the table");
  });
});

describe("README probe section", () => {
  it("documents the same exit codes as --help prints, every flag --help lists, and shows the picture npm run picture makes", async () => {
    const readme = readFileSync(path.join(__dirname, "..", "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("<!-- section:probe -->"), readme.indexOf("<!-- /section:probe -->"));
    assert.deepEqual([...section.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1])), PROBE_EXIT_HELP.map(([c]) => c));
    for (const o of buildProbeProgram().options) assert.ok(section.includes(`\`${o.long ?? ""}`), `${o.long ?? ""} is in the README's probe section`);
    assert.match(section, /!\[[^\]]+\]\(docs\/release-chart\.svg\)/);
    assert.ok(existsSync(path.join(__dirname, "..", "..", "..", "docs", "release-chart.svg")));
    let out = "";
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, clock: fakeClock(FakeTimers.createClock(0)), fetch };
    assert.equal(await probeMain(["--help"], io), 0);
    for (const [code, text] of PROBE_EXIT_HELP) assert.ok(out.includes(`${String(code).padStart(3)}  ${text}`), text);
  });
});
