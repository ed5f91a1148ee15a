/**
 * Issue 9's acceptance for the probe, end to end: seed 000's experiment against the local API
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
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { freePort } from "../../local/dynamodb-local";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiHandler } from "../../lambda-src/app";
import type { Dependencies } from "../../lambda-src/dependencies";
import { closeGracefully, createLocalServer } from "../../local/server";
import { systemClock } from "../../release/clock";
import { probeMain } from "../../release/probe-cli";
import { parseRecords, summarise } from "../../release/probe";
import { CapturingLogger } from "../helpers/capture-logger";
import { freshTables, sharedClient } from "../helpers/dynamodb-local";

describe("probe against the local API while the version switches from 1 to 2", function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), "shiftline-probe-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("counts every request ok, records one NDJSON line per request, and sees both versions adding up to the requests sent", async () => {
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
    } finally {
      clearTimeout(switchTimer);
      await new Promise<void>((done) => front.close(() => done()));
      await Promise.all([closeGracefully(first, 1_000), closeGracefully(current, 1_000)]);
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
