/**
 * The stage check inside real release runs: mocked AWS (aws-sdk-client-mock, tests/release/harness.ts)
 * and a real local HTTP server standing in for the stage, reached through the release step's own
 * fetch port. The server routes each request by the alias's weights as Lambda would and answers
 * as API Gateway does: the function's answers carry x-function-version, API Gateway's own ones
 * a `{"message": …}` body and x-amzn-ErrorType instead (aws/chalice#12 shows one as AWS sends it;
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "../../../release/cli/release";
import { EXIT } from "../../../release/core/outcome";
import { renderMarkdown, type ReleaseReport } from "../../../release/engine/report";
import { fetchStagePort } from "../../../release/stage-check/http";
import { harness, PROD, SMOKE, type Harness } from "../harness";

const dir = mkdtempSync(path.join(tmpdir(), "shiftline-stage-check-"));
const prodJson = JSON.parse(readFileSync(PROD, "utf8")) as { stages: Record<string, Record<string, unknown>>; release: Record<string, unknown> };

type Behaviour = (version: string, req: IncomingMessage, res: ServerResponse) => void;

/** The function's own answer: GET /health as lambda-src/handlers/health.ts gives it. */
const functionAnswer = (version: string, res: ServerResponse) => {
  res.writeHead(200, { "content-type": "application/json; charset=utf-8", "x-function-version": version });
  res.end(JSON.stringify({ status: "ok", functionVersion: version }));
};
/** A gateway response as API Gateway sends it by default. */
const gateway = (res: ServerResponse, status: number, errorType: string, message: string) => {
  res.writeHead(status, { "content-type": "application/json", "x-amzn-ErrorType": errorType, "x-amzn-RequestId": "c6a1d40c" });
  res.end(JSON.stringify({ message }));
};

interface Stage {
  server: Server;
  url: string;
  requests: Array<{ path: string; version: string }>;
  behaviour: Behaviour;
}

async function startStage(h: Harness): Promise<Stage> {
  const stage: Stage = { server: undefined as unknown as Server, url: "", requests: [], behaviour: (version, _req, res) => functionAnswer(version, res) };
  stage.server = createServer((req, res) => {
    const version = h.world.routeRequest();
    stage.requests.push({ path: req.url ?? "", version });
    // Lambda counts them as invocations, as for any caller (the harness publishes them a minute later).
    h.world.stageRequests.push({ url: req.url ?? "", version, at: h.clock.now() });
    stage.behaviour(version, req, res);
  });
  await new Promise<void>((resolve) => stage.server.listen(0, "127.0.0.1", resolve));
  stage.url = `http://127.0.0.1:${(stage.server.address() as AddressInfo).port}/prod`;
  return stage;
}

/** Prod's outputs with the stage at the local server's URL and `stageCheck` settings. */
const outputsFor = (stage: Stage, stageCheck: Record<string, unknown> = {}, release: Record<string, unknown> = {}) => {
  const file = path.join(dir, `prod-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ ...prodJson, stages: { prod: { ...prodJson.stages.prod, invokeUrl: stage.url } }, release: { ...prodJson.release, ...release, stageCheck: { intervalMs: 100, ...stageCheck } } }));
  return file;
};

const wholly = (h: Harness) => ({ functionVersion: h.world.alias.functionVersion, weights: h.world.alias.weights });
const reportOf = (h: Harness) => JSON.parse(h.out()) as ReleaseReport;

describe("release run: the stage check through a stage (a local HTTP server)", () => {
  let h: Harness;
  let stage: Stage;
  /** The per-request timeout signals the fetch port was given, so a test can end one. */
  let timeouts: AbortController[];
  beforeEach(async () => {
    h = harness({ smoke: SMOKE });
    stage = await startStage(h);
    timeouts = [];
    const port = fetchStagePort({
      timeoutSignal: () => {
        const c = new AbortController();
        timeouts.push(c);
        return c.signal;
      },
    });
    (h.io as { stageHttp?: unknown }).stageHttp = port;
  });
  afterEach(async () => {
    h.restore();
    stage.server.closeAllConnections();
    await new Promise<void>((resolve) => stage.server.close(() => resolve()));
  });

  it("a healthy stage: at 10% it sends until the target answered once, at 100% only the target answers, and the release is promoted", async () => {
    const code = await main(["--outputs", outputsFor(stage), "--json"], h.io);
    assert.equal(code, EXIT.ok, h.err());
    const r = reportOf(h);
    assert.deepEqual(
      r.stageChecks?.map((c) => [c.percent, c.ok, c.byVersion]),
      [
        [10, true, { "41": 4, "42": 1 }],
        [100, true, { "42": 2 }],
      ],
    );
    assert.ok(stage.requests.every((q) => q.path === "/prod/health"), "only the smoke gate's read-only route, as a GET below the stage's path");
    assert.deepEqual(wholly(h), { functionVersion: "42", weights: {} });
  });

  it("API Gateway's 500 for a missing invoke permission rolls back at 10%, and the report quotes its body (exit 1)", async () => {
    stage.behaviour = (_v, _req, res) => gateway(res, 500, "InternalServerErrorException", "Internal server error");
    const code = await main(["--outputs", outputsFor(stage), "--json"], h.io);
    assert.equal(code, EXIT.rolledBack);
    const r = reportOf(h);
    const failure = r.stageChecks?.[0].failures[0];
    assert.equal(failure?.route, "GET /health");
    assert.equal(failure?.status, 500);
    assert.equal(failure?.version, undefined, "API Gateway's answer names no version");
    assert.equal(failure?.gatewayBody, '{"message":"Internal server error"}');
    // API Gateway returns the request ID it logs as $context.requestId in x-amzn-RequestId
    // (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-access-logging.html): the way to the execution log's "Invalid permissions on Lambda function".
    assert.equal(failure?.requestId, "c6a1d40c");
    assert.match(r.message, /\[x-amzn-RequestId c6a1d40c\]/);
    assert.match(failure?.problem ?? "", /x-amzn-ErrorType InternalServerErrorException.*lambda:InvokeFunction permission/);
    assert.match(r.message, /^stage check failed at 10% on stage prod .*rolled back: alias live is wholly on version 41/);
    assert.deepEqual(wholly(h), { functionVersion: "41", weights: {} });
    assert.match(h.err(), /stage check FAIL prod at 10%: 3 requests/, "three, so one crash of a version that fails now and then does not block it");
    assert.match(renderMarkdown(r), /\| stage check \| FAIL stage prod at 10%: 3 requests \(no answer from the function\); GET \/health → 500: API Gateway answered 500 .*; API Gateway's body: \{"message":"Internal server error"\} \|/);
  });

  it("a 403 Missing Authentication Token (the stage's deployment lacks the route) rolls back (exit 1)", async () => {
    stage.behaviour = (_v, _req, res) => gateway(res, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    const code = await main(["--outputs", outputsFor(stage), "--json"], h.io);
    assert.equal(code, EXIT.rolledBack);
    const failure = reportOf(h).stageChecks?.[0].failures[0];
    assert.equal(failure?.status, 403);
    assert.match(failure?.problem ?? "", /MISSING_AUTHENTICATION_TOKEN/);
    assert.deepEqual(wholly(h), { functionVersion: "41", weights: {} });
  });

  it("a stage answering from another version after promotion (no final bake) is rolled back to the previous version (exit 1)", async () => {
    // The stage's lambdaAlias variable names another alias, which serves version 40.
    stage.behaviour = (version, _req, res) => functionAnswer(version === "42" ? "40" : version, res);
    const code = await main(["--outputs", outputsFor(stage), "--json", "--strategy", "all-at-once", "--final-bake", "0"], h.io);
    assert.equal(code, EXIT.rolledBack);
    const r = reportOf(h);
    assert.deepEqual(
      r.stageChecks?.map((c) => [c.percent, c.ok]),
      [[100, false]],
    );
    assert.equal(r.stageChecks?.[0].failures[0].version, "40");
    assert.match(r.stageChecks?.[0].failures[0].problem ?? "", /version 40, which is not on the alias \(41, 42\)/);
    assert.deepEqual(
      h.world.aliasWrites.map((w) => [w.functionVersion, w.weights]),
      [
        ["42", {}],
        ["41", {}],
      ],
      "promoted, checked through the stage, then put back",
    );
    assert.deepEqual(wholly(h), { functionVersion: "41", weights: {} });
  });

  it("a stage still routing its first requests after promotion to the previous version is given the settle window, and the release is promoted (exit 0)", async () => {
    // Lambda documents no bound on when an alias change reaches every invoke frontend.
    let stale = 2;
    stage.behaviour = (version, _req, res) => functionAnswer(version === "42" && stale-- > 0 ? "41" : version, res);
    const code = await main(["--outputs", outputsFor(stage), "--json", "--strategy", "all-at-once", "--final-bake", "0"], h.io);
    assert.equal(code, EXIT.ok, reportOf(h).message);
    const c = reportOf(h).stageChecks?.[0];
    assert.deepEqual([c?.percent, c?.ok, c?.byVersion["41"]], [100, true, 2]);
    assert.deepEqual(wholly(h), { functionVersion: "42", weights: {} });
  });

  it("a target the stage never reaches at 10% is rolled back once the check's bound is spent (exit 1)", async () => {
    // Every request ends on the previous version: the stage does not route through this alias's weights.
    stage.server.removeAllListeners("request");
    stage.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      stage.requests.push({ path: req.url ?? "", version: "41" });
      functionAnswer("41", res);
    });
    const code = await main(["--outputs", outputsFor(stage, { maxRequests: 12 }), "--json"], h.io);
    assert.equal(code, EXIT.rolledBack);
    const c = reportOf(h).stageChecks?.[0];
    assert.deepEqual([c?.percent, c?.requests, c?.byVersion], [10, 12, { "41": 12 }]);
    assert.match(c?.reason ?? "", /target version 42 answered none of 12 requests within 12 requests/);
    assert.equal(stage.requests.length, 12, "bounded by maxRequests");
    assert.deepEqual(wholly(h), { functionVersion: "41", weights: {} });
  });

  it("a request the stage never answers counts as failed once its timeout ends it, and rolls back (exit 1)", async () => {
    // The target's requests hang; the test ends the port's timeout once the server holds one (no real wait).
    stage.behaviour = (version, _req, res) => {
      if (version !== "42") return functionAnswer(version, res);
      timeouts.at(-1)?.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
      void res;
    };
    const code = await main(["--outputs", outputsFor(stage, { timeoutMs: 5000 }), "--json"], h.io);
    assert.equal(code, EXIT.rolledBack);
    const failure = reportOf(h).stageChecks?.[0].failures[0];
    assert.equal(failure?.status, undefined);
    assert.match(failure?.problem ?? "", /no answer: no answer within 5000 ms \(stageCheck.timeoutMs\)/);
    assert.deepEqual(wholly(h), { functionVersion: "41", weights: {} });
  });

  it("SIGINT while a request through the stage is in flight aborts it, rolls back and exits 130", async () => {
    stage.behaviour = (version, _req, res) => {
      if (version !== "42") return functionAnswer(version, res);
      h.signals.emit("SIGINT");
      void res;
    };
    const code = await main(["--outputs", outputsFor(stage), "--json"], h.io);
    assert.equal(code, EXIT.interrupted);
    assert.match(reportOf(h).message, /interrupted by SIGINT/);
    assert.deepEqual(wholly(h), { functionVersion: "41", weights: {} });
  });

  it("the check's own answers are not counted as the target's traffic: with no user reaching it, the 10% step is not judged (exit 1)", async () => {
    // Users reach only the previous version; the stage check's one answer from 42 is Lambda's only invocation of it.
    h.world.metrics = (version) => (version === "42" ? { invocations: 0, errors: 0 } : { invocations: 100, errors: 0 });
    const code = await main(["--outputs", outputsFor(stage), "--json", "--min-invocations", "1"], h.io);
    assert.equal(code, EXIT.rolledBack);
    assert.match(reportOf(h).message, /health not judged at 10%: version 42 had 0 of the 1 invocations needed/);
    assert.ok(h.world.stageRequests.some((r) => r.version === "42"), "the check did reach the target");
    assert.deepEqual(wholly(h), { functionVersion: "41", weights: {} });
  });

  it("a private stage, --no-stage-check and explicit flags send nothing through API Gateway and say so under skipped", async () => {
    const privateFile = outputsFor(stage, { privateStages: ["prod"] });
    assert.equal(await main(["--outputs", privateFile, "--json"], h.io), EXIT.ok);
    assert.ok(reportOf(h).skipped.some((s) => /^stage check on stage prod: a private API/.test(s)));
    h.restore();

    h = harness({ smoke: SMOKE });
    (h.io as { stageHttp?: unknown }).stageHttp = fetchStagePort();
    assert.equal(await main(["--outputs", outputsFor(stage), "--no-stage-check", "--json"], h.io), EXIT.ok);
    assert.ok(reportOf(h).skipped.some((s) => /^stage check: turned off/.test(s)));
    h.restore();

    h = harness({ smoke: SMOKE });
    (h.io as { stageHttp?: unknown }).stageHttp = fetchStagePort();
    assert.equal(await main(["--function", "shiftline-prod-api", "--alias", "live", "--region", "eu-west-1", "--to-version", "42", "--json"], h.io), EXIT.ok);
    assert.ok(reportOf(h).skipped.some((s) => /^stage check: no stack outputs \(explicit flags\)/.test(s)));
    assert.deepEqual(stage.requests, [], "no request reached the stage");
  });

  it("--dry-run shows the check with its bounds and the stage's URL, and sends nothing", async () => {
    const code = await main(["--outputs", outputsFor(stage, { maxRequests: 50 }), "--dry-run"], h.io);
    assert.equal(code, EXIT.ok);
    assert.match(h.out(), new RegExp(`stage check: on, after each shift .* through ${stage.url.replace(/[.]/g, "\\.")};.*at most 50 requests`));
    assert.match(h.out(), /- stage check: no request was sent through prod/);
    assert.deepEqual(stage.requests, []);
  });
});
