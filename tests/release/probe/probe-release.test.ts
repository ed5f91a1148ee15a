/**
 * `release --probe <url>`: the real release CLI against mocked AWS (harness.ts), with the probe
 * sending to a local HTTP server that answers as the alias routes: each request goes to the
 * version the mocked alias would send it to, by its weights at that moment
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html), so the chart
 * and the report's weights describe the same release.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "../../../release/cli/release";
import type { Clock } from "../../../release/core/clock";
import { EXIT } from "../../../release/core/outcome";
import { parseRecords, summarise } from "../../../release/probe/traffic";
import type { ReleaseReport } from "../../../release/engine/report";
import { harness, PROD, type Harness } from "../harness";

describe("release --probe", () => {
  let h: Harness;
  let dir = "";
  let server: Server;
  let base = "";
  /** Answer every n-th request with this status instead of 200 (0: never). */
  let failEvery = 0;
  beforeEach(async () => {
    h = harness();
    dir = mkdtempSync(path.join(tmpdir(), "shiftline-release-probe-"));
    failEvery = 0;
    let n = 0;
    server = createServer((req, res) => {
      n++;
      // Deterministic routing by the alias's weights: of every 100 requests, weight% go to each weighted version, spread out.
      let version = h.world.alias.functionVersion;
      let acc = 0;
      for (const [v, p] of Object.entries(h.world.alias.weights)) {
        acc += p;
        if ((n * 37) % 100 < acc) {
          version = v;
          break;
        }
      }
      req.resume();
      req.on("end", () => {
        res.writeHead(failEvery > 0 && n % failEvery === 0 ? 502 : 200, { "content-type": "application/json", "x-function-version": version });
        res.end('{"message":"ok"}');
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    h.restore();
    await new Promise<void>((done) => server.close(() => done()));
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The harness's instant clock, but each sleep also lets pending I/O run (setImmediate), so the
   * probe's requests to the local server are answered while the release moves through its steps.
   */
  const yielding = (): Clock => ({ now: () => h.clock.now(), sleep: async (ms, signal) => (await h.clock.sleep(ms, signal), await new Promise<void>((done) => setImmediate(done))) });
  const run = async (extra: string[], env: Record<string, string> = {}) => {
    // --no-stage-check: on this instant clock the probe's sleeps and the stage check's share one
    // timeline, so the check's bound of 60 s passes after a few requests; the stage check has its own tests.
    const code = await main(["--outputs", PROD, "--json", "--no-stage-check", "--probe", base, "--probe-out", path.join(dir, "probe.ndjson"), ...extra], { ...h.io, clock: yielding(), env, fetch });
    return { code, report: JSON.parse(h.out()) as ReleaseReport };
  };

  it("probes during the release and its tail, and puts the chart's figures, equal to the NDJSON's, in the JSON report and the step summary", async () => {
    const summary = path.join(dir, "summary.md");
    const { code, report } = await run([], { GITHUB_STEP_SUMMARY: summary });
    assert.equal(code, EXIT.ok, h.err());
    assert.equal(report.outcome, "promoted");
    const records = parseRecords(readFileSync(path.join(dir, "probe.ndjson"), "utf8"));
    const s = summarise(records);
    assert.ok(report.probe !== undefined);
    assert.deepEqual(
      { requests: report.probe.requests, ok: report.probe.ok, failures: report.probe.failures, perVersion: report.probe.perVersion },
      { requests: s.requests, ok: s.ok, failures: 0, perVersion: s.perVersion },
    );
    assert.deepEqual(s.perVersion.map((v) => v.version), ["41", "42"], "the probe saw the old version, then the new");
    assert.equal(report.probe.chart, path.join(dir, "probe.html"));
    const html = readFileSync(path.join(dir, "probe.html"), "utf8");
    assert.match(html, /<title>alias weight on version 42 \(release promoted\)<\/title>/, "the release's own weights are overlaid");
    assert.ok(Date.parse(records.at(-1)?.time ?? "") >= Date.parse(report.finishedAt), "the probe goes on after the release's end (its tail)");
    const md = readFileSync(summary, "utf8");
    assert.match(md, new RegExp(`#### Probe of ${base.replace(/\./g, "\\.")}\\n`));
    assert.match(md, new RegExp(`\\| \\*\\*all\\*\\* \\(${s.ok} ok, 0 failed\\) \\| ${s.requests} \\| 100% \\|`));
    for (const v of s.perVersion) assert.match(md, new RegExp(`\\| version ${v.version} \\| ${v.count} \\|`));
  });

  it("reports the probe's failures without changing the release's exit code", async () => {
    failEvery = 2;
    const { code, report } = await run([]);
    assert.equal(code, EXIT.ok);
    assert.equal(report.exitCode, EXIT.ok);
    assert.ok((report.probe?.failures ?? 0) > 0, JSON.stringify(report.probe));
    assert.match(h.err(), /probe: \d+ requests, [1-9]\d* failed; chart in /);
  });

  it("stops the probe when the release ends with an unexpected error, so it cannot keep the process alive", async () => {
    let calls = 0;
    const counting = (async () => (calls++, new Response("{}", { headers: { "x-function-version": "41" } }))) as typeof fetch;
    const failing = () => {
      throw new Error("boom: no AWS client");
    };
    await assert.rejects(main(["--outputs", PROD, "--probe", base, "--probe-out", path.join(dir, "p.ndjson")], { ...h.io, clock: yielding(), fetch: counting, createPorts: failing }), /boom/);
    const before = calls;
    for (let turn = 0; turn < 20; turn++) await new Promise<void>((done) => setImmediate(done));
    assert.ok(calls <= before + 3, `at most each client's request in flight is sent after the error: ${before} then ${calls}`);
  });

  it("refuses a bad --probe URL or --probe-out before any AWS call, naming the release's flag", async () => {
    assert.equal(await main(["--outputs", PROD, "--probe", "ftp://x"], { ...h.io, fetch }), EXIT.badInput);
    assert.match(h.err(), /--probe = "ftp:\/\/x": must use http or https/);
    assert.equal(await main(["--outputs", PROD, "--probe", base, "--probe-out", path.join(dir, "p.txt")], { ...h.io, fetch }), EXIT.badInput);
    assert.match(h.err(), /--probe-out = ".*p\.txt": must end in \.ndjson/);
    assert.equal(await main(["--outputs", PROD, "--probe", base, "--probe-out", path.join(dir, "missing", "p.ndjson")], { ...h.io, fetch }), EXIT.badInput);
    assert.match(h.err(), /--probe-out = ".*p\.ndjson": cannot be written/);
    assert.deepEqual(h.sent(), []);
  });

  it("--dry-run says it would probe, and sends nothing", async () => {
    const sent: string[] = [];
    const recording = (async (url: string | URL) => {
      sent.push(String(url));
      return new Response("{}");
    }) as typeof fetch;
    assert.equal(await main(["--outputs", PROD, "--dry-run", "--probe", `${base}/`], { ...h.io, fetch: recording }), EXIT.ok);
    assert.match(h.out(), new RegExp(`would probe: 3 clients POST ${base.replace(/\./g, "\\.")}/todo every 300 ms .* answers in release-probe\\.ndjson, chart in release-probe\\.html`));
    assert.deepEqual([sent, h.sent(), existsSync("release-probe.ndjson")], [[], [], false]);
  });
});
