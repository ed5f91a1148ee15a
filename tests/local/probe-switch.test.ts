/**
 * The probe, end to end: seed 000's experiment against the local API
 * (the real handler on DynamoDB Local), with the served version switched from "1" to "2"
 * mid-run on the same port.
 *
 * How the switch is made: one listening socket on the port hands each new connection to the
 * server that currently serves (an http.Server takes an injected socket through its
 * 'connection' event: https://nodejs.org/api/http.html#event-connection). After the switch the
 * old server answers the request each of its open connections is carrying and closes that
 * connection (`Connection: close`), so clients reconnect to the new one. That is a restart with
 * connection draining, as a deployed alias switch loses no request; a bare kill-and-restart of
 * `npm start` would refuse connections in the gap, which the probe would count as ng.
 *
 * The chart is checked as data, not pixels: the file's series elements carry each version's
 * count, first and last answer and per-bucket counts (release/probe/chart-render.ts).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { freePort } from "../../local/dynamodb-local";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiHandler } from "../../lambda-src/app";
import type { Dependencies } from "../../lambda-src/dependencies";
import { closeGracefully, createLocalServer } from "../../local/server";
import { systemClock } from "../../release/core/clock";
import { probeMain } from "../../release/cli/probe";
import { parseRecords, summarise } from "../../release/probe/traffic";
import { DOMParser, onWarningStopParsing } from "@xmldom/xmldom";
import { CapturingLogger } from "../helpers/capture-logger";
import { freshTables, sharedClient } from "../helpers/dynamodb-local";

describe("probe against the local API while the version switches from 1 to 2", function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), "shiftline-probe-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("counts every request ok, records one NDJSON line per request, sees both versions adding up to the requests sent, and charts one series per version with the switch and no failure", async () => {
    const deps: Dependencies = { dynamodb: await sharedClient(), tables: await freshTables(), now: Date.now };
    const serve = (functionVersion: string) => createLocalServer({ handler: createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps }), fn: { functionVersion } });
    let current: Server = serve("1");
    const first = current;
    let draining = false;
    first.prependListener("request", (_req, res) => {
      if (draining) res.setHeader("connection", "close");
    });
    const front = createNetServer((socket: Socket) => current.emit("connection", socket));
    await new Promise<void>((done) => front.listen(0, "127.0.0.1", done));
    const base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const out = join(dir, "probe.ndjson");
    let stdout = "";
    const switchTimer = setTimeout(() => {
      current = serve("2");
      draining = true;
      first.closeIdleConnections();
    }, 1_500);
    try {
      const code = await probeMain([base, "--clients", "3", "--interval-ms", "100", "--duration", "3", "--out", out, "--finish-file", join(dir, "finish.txt")], {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: process.stderr,
        clock: systemClock,
        fetch,
      });
      const records = parseRecords(readFileSync(out, "utf8"));
      const summary = summarise(records);
      assert.equal(code, 0, stdout);
      assert.equal(readFileSync(out, "utf8").trimEnd().split("\n").length, records.length, "one line per request");
      assert.ok(records.length >= 6, `each client sent more than once, got ${records.length}`);
      assert.equal(summary.failures, 0, stdout);
      assert.deepEqual(summary.perClient.map((c) => [c.client, c.ng]), [[1, 0], [2, 0], [3, 0]]);
      assert.deepEqual(summary.perVersion.map((v) => v.version), ["1", "2"]);
      assert.equal(summary.perVersion.reduce((n, v) => n + v.count, 0), records.length);
      assert.match(stdout, new RegExp(`total\\s+${records.length}\\s+0\\n`));
      // Every item was written, by the version whose header the probe recorded (GET reads it back).
      const written = await Promise.all(records.map(async (r) => ((await (await fetch(`${base}/todo/${r.todoId}`)).json()) as { lambdaVersion: string }).lambdaVersion));
      assert.deepEqual(written, records.map((r) => r.version));

      // The chart written beside the NDJSON (probe.html), read as data: its elements carry the figures.
      const chart = new DOMParser({ onError: onWarningStopParsing }).parseFromString(readFileSync(join(dir, "probe.html"), "utf8"), "text/xml");
      const series = Array.from(chart.getElementsByTagName("path")).filter((p) => p.getAttribute("class") === "series");
      const figures = new Map(series.map((p) => [p.getAttribute("data-version") ?? "", { count: Number(p.getAttribute("data-count")), first: p.getAttribute("data-first") ?? "", last: p.getAttribute("data-last") ?? "", perBucket: (p.getAttribute("data-per-bucket") ?? "").split(",").map(Number) }]));
      assert.deepEqual([...figures.keys()].sort(), ["1", "2"], "exactly one series per version seen");
      assert.equal([...figures.values()].reduce((n, f) => n + f.count, 0), records.length, "the series add up to the requests sent");
      assert.deepEqual(Object.fromEntries([...figures].map(([v, f]) => [v, f.count])), Object.fromEntries(summary.perVersion.map((v) => [v.version, v.count])), "the same counts as the NDJSON");
      const [v1, v2] = [figures.get("1"), figures.get("2")];
      assert.ok(v1 && v2);
      const mixed = v1.perBucket.some((n, i) => n > 0 && v2.perBucket[i] > 0);
      assert.ok(v1.last <= v2.first || mixed, `the switch is visible: version 1 last ${v1.last}, version 2 first ${v2.first}`);
      const svg = chart.getElementsByTagName("svg")[0];
      assert.equal(svg.getAttribute("data-failures"), "0");
      assert.equal(Array.from(chart.getElementsByTagName("line")).filter((l) => l.getAttribute("class") === "failure").length, 0, "no failure marks");
      assert.match(stdout, /chart: .*probe\.html \(\d+ requests in \d+ buckets of 1 s; per version 1 \d+, 2 \d+; 0 failed\)/);
    } finally {
      clearTimeout(switchTimer);
      await new Promise<void>((done) => front.close(() => done()));
      await Promise.all([closeGracefully(first, 1_000), closeGracefully(current, 1_000)]);
    }
  });
  it("with --read, reads back every item it wrote: GET /todo/{todoId} answers 200 from the same version", async () => {
    const deps: Dependencies = { dynamodb: await sharedClient(), tables: await freshTables(), now: Date.now };
    const server = createLocalServer({ handler: createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps }), fn: { functionVersion: "5" } });
    const port = await freePort();
    await new Promise<void>((done) => server.listen(port, "127.0.0.1", done));
    const out = join(dir, "read.ndjson");
    try {
      const code = await probeMain([`http://127.0.0.1:${port}`, "--read", "--clients", "2", "--interval-ms", "100", "--duration", "1", "--out", out, "--finish-file", join(dir, "finish.txt"), "--no-chart"], {
        stdout: { write: () => true },
        stderr: process.stderr,
        clock: systemClock,
        fetch,
      });
      const records = parseRecords(readFileSync(out, "utf8"));
      assert.equal(code, 0);
      const reads = records.filter((r) => r.route === "GET /todo/{todoId}");
      assert.ok(reads.length >= 2 && reads.every((r) => r.status === 200 && r.version === "5"), JSON.stringify(reads.slice(0, 2)));
      assert.deepEqual(new Set(reads.map((r) => r.todoId)), new Set(records.filter((r) => r.route === "POST /todo" && reads.some((g) => g.todoId === r.todoId)).map((r) => r.todoId)));
      assert.ok(reads.length >= records.length / 2 - 2, "nearly every write is read back");
      assert.equal(existsSync(join(dir, "read.html")), false, "--no-chart");
    } finally {
      await closeGracefully(server, 1_000);
    }
  });
  it("counts the requests a plain restart refuses as ng, with their error text, and exits 1", async () => {
    const deps: Dependencies = { dynamodb: await sharedClient(), tables: await freshTables(), now: Date.now };
    const serve = (functionVersion: string) => createLocalServer({ handler: createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps }), fn: { functionVersion } });
    const port = await freePort();
    const first = serve("1");
    const second = serve("2");
    await new Promise<void>((done) => first.listen(port, "127.0.0.1", done));
    const out = join(dir, "restart.ndjson");
    // Stop version 1, leave the port closed for 500 ms, then start version 2 on it.
    const restart = (async () => {
      await systemClock.sleep(1_000);
      await closeGracefully(first, 1_000);
      await systemClock.sleep(500);
      await new Promise<void>((done) => second.listen(port, "127.0.0.1", done));
    })();
    let stdout = "";
    try {
      const code = await probeMain([`http://127.0.0.1:${port}`, "--clients", "3", "--interval-ms", "100", "--duration", "3", "--out", out, "--finish-file", join(dir, "finish.txt")], {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: process.stderr,
        clock: systemClock,
        fetch,
      });
      await restart;
      const records = parseRecords(readFileSync(out, "utf8"));
      const summary = summarise(records);
      assert.equal(code, 1, stdout);
      assert.ok(summary.failures > 0 && summary.ok > 0, stdout);
      assert.ok(records.filter((r) => r.status === null).every((r) => /ECONNREFUSED|closed|reset/i.test(r.error ?? "")), JSON.stringify(records.filter((r) => r.status === null).slice(0, 3)));
      assert.deepEqual(new Set(summary.perVersion.map((v) => v.version)), new Set(["1", "2", "(none)"]));
      assert.equal(summary.perVersion.reduce((n, v) => n + v.count, 0), records.length);
      assert.equal(summary.perClient.reduce((n, c) => n + c.ok + c.ng, 0), records.length);
      assert.match(stdout, new RegExp(`total\\s+${summary.ok}\\s+${summary.failures}\\n`));
    } finally {
      await restart.catch(() => undefined);
      await Promise.all([closeGracefully(first, 1_000), closeGracefully(second, 1_000)]);
    }
  });
});
