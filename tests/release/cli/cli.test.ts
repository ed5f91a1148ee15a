import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildProgram, main } from "../../../release/cli/release";
import { FLAG_RANGES } from "../../../release/inputs/resolve";
import { EXIT } from "../../../release/core/outcome";
import { Progress } from "../../../release/engine/report";
import { judgeSmoke } from "../../../release/engine/smoke-gate";
import { allowsApiGateway } from "../../../release/engine/preflight";
import { loadSmokeEvents } from "../../../release/inputs/smoke-source";
import { harness, PROD, PROD_NOW, STAGING, type Harness } from "../harness";

describe("release CLI", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  it("dry run prints the prod canary plan and makes no AWS call", async () => {
    assert.equal(await main(["--dry-run", "--outputs", PROD], h.io), EXIT.ok);
    const out = h.out();
    assert.match(out, /plan for prod: shiftline-prod-api:live/);
    assert.match(out, /target: version 42/);
    assert.match(out, /strategy: canary, 2 steps/);
    assert.match(out, /^\s+1\.\s+10%\s+bake 5m\s/m);
    assert.match(out, /^\s+2\.\s+100%\s+bake 1m\s/m);
    assert.match(out, /dry run: nothing was changed and no AWS call was made/);
    assert.match(out, /- smoke invocations of the target version/);
    assert.deepEqual(h.sent(), []);
  });

  it("dry run prints the staging all-at-once plan, with flags applied", async () => {
    assert.equal(await main(["--dry-run", "--outputs", STAGING], h.io), EXIT.ok);
    assert.match(h.out(), /strategy: all-at-once, 1 step/);
    assert.match(h.out(), /^\s+1\.\s+100%/m);
    assert.equal(await main(["--dry-run", "--outputs", STAGING, "--steps", "5:60,50:120"], h.io), EXIT.ok);
    assert.match(h.out(), /strategy: custom, 3 steps/);
    assert.deepEqual(h.sent(), []);
  });

  it("dry run of --abort prints what the abort would do, not a release plan", async () => {
    assert.equal(await main(["--dry-run", "--outputs", PROD, "--abort"], h.io), EXIT.ok);
    assert.match(h.out(), /mode: abort/);
    assert.match(h.out(), /put it wholly on its primary version/);
    assert.doesNotMatch(h.out(), /strategy:|smoke invocations|target: version/);
    assert.deepEqual(h.sent(), []);
  });

  it("dry run writes the final bake's hold and shares the weight math with the release", async () => {
    assert.equal(await main(["--dry-run", "--outputs", PROD, "--steps", "7:60,29:60"], h.io), EXIT.ok);
    assert.match(h.out(), /AdditionalVersionWeights \{target: 0\.07\}/);
    assert.match(h.out(), /AdditionalVersionWeights \{target: 0\.29\}/);
    assert.match(h.out(), /AdditionalVersionWeights \{target: 1\} for the bake, then alias → target, weights cleared/);
    assert.match(h.out(), /by more than 1 point \(/);
  });

  it("dry run with --json prints the resolved inputs and what was not checked", async () => {
    assert.equal(await main(["--dry-run", "--json", "--outputs", PROD, "--to-version", "40"], h.io), EXIT.ok);
    const report = JSON.parse(h.out()) as { outcome: string; inputs: { target: string }; skipped: string[] };
    assert.equal(report.outcome, "dry-run");
    assert.equal(report.inputs.target, "40");
    assert.ok(report.skipped.length > 0);
  });

  it("dry run names the sources each step is judged on: the live stream where the stack exports its log group, metrics (and why) otherwise", async () => {
    assert.equal(await main(["--dry-run", "--outputs", PROD_NOW], h.io), EXIT.ok);
    assert.match(h.out(), /sources: the live stream of each request \(Live Tail on \/aws\/lambda\/shiftline-prod-api, billed per session-minute\), up to its measured watermark/);
    assert.match(h.out(), /promoted only once the stream has shown its traffic to the end of its bake/);
    assert.equal(await main(["--dry-run", "--outputs", PROD_NOW, "--no-live-evidence"], h.io), EXIT.ok);
    assert.match(h.out(), /sources: the function's request metrics .*live stream off \(health.liveEvidence false \/ --no-live-evidence\); the last step is promoted only once the request metrics account for every invocation Lambda counted to the end of its bake/);
    // A stack deployed before the log group was exported.
    const older = JSON.parse(readFileSync(PROD_NOW, "utf8")) as { requestMetrics: Record<string, string> };
    delete older.requestMetrics.logGroupArn;
    const file = path.join(mkdtempSync(path.join(tmpdir(), "shiftline-older-")), "outputs.json");
    writeFileSync(file, JSON.stringify(older));
    assert.equal(await main(["--dry-run", "--outputs", file], h.io), EXIT.ok);
    assert.match(h.out(), /sources: .*no live stream: the stack exports no requestMetrics.logGroupArn \(the next pulumi up adds it\)/);
    assert.deepEqual(h.sent(), []);
  });

  it("dry run with --no-smoke over a stack with smoke: true plans no smoke gate", async () => {
    assert.equal(await main(["--dry-run", "--outputs", PROD, "--no-smoke"], h.io), EXIT.ok);
    assert.match(h.out(), /smoke gate: off/);
    assert.doesNotMatch(h.out(), /smoke gate: on/);
    assert.doesNotMatch(h.out(), /- smoke invocations of the target version/, "no smoke check is listed as skipped when there is none");
  });

  it("--no-smoke over a stack with smoke: true invokes nothing before moving traffic", async () => {
    const code = await main(["--outputs", PROD, "--no-smoke", "--json"], h.io);
    assert.equal(code, EXIT.ok, h.err());
    assert.equal(h.sent().filter((n) => n === "Invoke").length, 0);
    const report = JSON.parse(h.out()) as { skipped: string[] };
    assert.ok(report.skipped.some((s) => /smoke gate: turned off/.test(s)), report.skipped.join("; "));
  });

  it("refuses a plain release of a codeDeployment: release stack before any AWS call (exit 2), naming --artifact and --to-version", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "shiftline-artifact-mode-")), "prod.json");
    writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(PROD, "utf8")) as object), codeDeployment: "release" }));
    assert.equal(await main(["--outputs", file], h.io), EXIT.badInput);
    assert.match(h.err(), /--to-version = \(missing\): stack prod deploys its code with the release step .*--artifact <zip>.*--to-version N/);
    assert.deepEqual(h.sent(), []);
    assert.equal(await main(["--outputs", file, "--to-version", "42"], h.io), EXIT.ok, h.out());
  });

  it("exits 2 on bad flags with the problem on stderr", async () => {
    assert.equal(await main(["--outputs", PROD, "--canary-percent", "0"], h.io), EXIT.badInput);
    assert.match(h.err(), /--canary-percent \(release\.canaryPercent\) = 0/);
    assert.deepEqual(h.sent(), []);
  });

  it("documents every exit code in --help", async () => {
    assert.equal(await main(["--help"], h.io), EXIT.ok);
    for (const code of Object.values(EXIT)) assert.match(h.out(), new RegExp(`^\\s+${code}\\s+\\S`, "m"), `exit code ${code}`);
  });

  it("prints a JSON report on stdout and appends a Markdown summary for GitHub Actions", async () => {
    const summary = path.join(mkdtempSync(path.join(tmpdir(), "shiftline-summary-")), "summary.md");
    const io = { ...h.io, env: { GITHUB_STEP_SUMMARY: summary } };
    h.clock.at(120, () => (h.world.alarms["shiftline-prod-api-live-errors"] = "ALARM"));
    assert.equal(await main(["--outputs", PROD, "--json"], io), EXIT.rolledBack);
    const report = JSON.parse(h.out()) as { outcome: string; exitCode: number; fromVersion: string; toVersion: string; finalAlias: unknown; checks: unknown[] };
    assert.deepEqual([report.outcome, report.exitCode, report.fromVersion, report.toVersion], ["rolled-back", 1, "41", "42"]);
    assert.deepEqual(report.finalAlias, { functionVersion: "41", weights: {}, revisionId: "alias-rev-3" });
    assert.ok(report.checks.length >= 1);
    assert.match(h.err(), /rolling back/, "progress goes to stderr with --json");
    const md = readFileSync(summary, "utf8");
    assert.match(md, /^### .*rolled-back/m);
    assert.match(md, /\| versions \| 41 → 42 \|/);
    assert.match(md, /\| exit code \| 1 \|/);
  });
});

describe("release output", () => {
  it("rewrites the status line in place on a TTY and prints plain lines otherwise", () => {
    const tty: string[] = [];
    const p = new Progress({ write: (s: string) => tty.push(s) }, true);
    p.status("10% · 4m left");
    p.status("10% · 3m30s left");
    p.line("promoted");
    assert.equal(tty.join(""), "\r\x1b[2K10% · 4m left\r\x1b[2K10% · 3m30s left\r\x1b[2Kpromoted\n");
    const plain: string[] = [];
    const q = new Progress({ write: (s: string) => plain.push(s) }, false);
    q.status("10% · 4m left");
    q.line("promoted");
    assert.equal(plain.join(""), "10% · 4m left\npromoted\n");
  });
});

describe("smoke judgement", () => {
  const cases: Array<[string, string | undefined, string, boolean]> = [
    ["a 200", undefined, JSON.stringify({ statusCode: 200, body: "{}" }), true],
    ["a 201", undefined, JSON.stringify({ statusCode: 201 }), true],
    ["a 404", undefined, JSON.stringify({ statusCode: 404 }), false],
    ["a 500", undefined, JSON.stringify({ statusCode: 500 }), false],
    ["a FunctionError even with a 200 inside", "Unhandled", JSON.stringify({ statusCode: 200 }), false],
    ["a payload without statusCode", undefined, JSON.stringify({ ok: true }), false],
    ["a payload that is not JSON", undefined, "oops", false],
  ];
  for (const [name, functionError, payload, ok] of cases) it(`${ok ? "passes" : "fails"} ${name}`, () => assert.equal(judgeSmoke("e", functionError, payload).ok, ok));
});

describe("stage permission check", () => {
  const base = {
    Effect: "Allow",
    Principal: { Service: "apigateway.amazonaws.com" },
    Action: "lambda:InvokeFunction",
    Condition: { ArnLike: { "AWS:SourceArn": "arn:aws:execute-api:eu-west-1:1:abc123/prod/*/*" } },
  };
  const cases: Array<[string, object, boolean]> = [
    ["API Gateway invoking from this API", base, true],
    ["another API", { ...base, Condition: { ArnLike: { "AWS:SourceArn": "arn:aws:execute-api:eu-west-1:1:zzz999/prod/*/*" } } }, false],
    ["another principal", { ...base, Principal: { Service: "events.amazonaws.com" } }, false],
    ["another action", { ...base, Action: "lambda:GetFunction" }, false],
    ["a Deny", { ...base, Effect: "Deny" }, false],
    ["another stage of this API", { ...base, Condition: { ArnLike: { "AWS:SourceArn": "arn:aws:execute-api:eu-west-1:1:abc123/staging/*/*" } } }, false],
    ["every stage of this API", { ...base, Condition: { ArnLike: { "AWS:SourceArn": "arn:aws:execute-api:eu-west-1:1:abc123/*/*/*" } } }, true],
    ["a stage pattern that covers prod", { ...base, Condition: { ArnLike: { "AWS:SourceArn": "arn:aws:execute-api:eu-west-1:1:abc123/pro?/GET/todo" } } }, true],
    ["a lower-case condition key (IAM keys are case-insensitive)", { ...base, Condition: { ArnEquals: { "aws:sourcearn": "arn:aws:execute-api:eu-west-1:1:abc123/prod/POST/todo" } } }, true],
    ["an API id that only starts like this one", { ...base, Condition: { ArnLike: { "AWS:SourceArn": "arn:aws:execute-api:eu-west-1:1:abc1234/prod/*/*" } } }, false],
    ["a SourceArn of another service", { ...base, Condition: { ArnLike: { "AWS:SourceArn": "arn:aws:events:eu-west-1:1:abc123/prod/*/*" } } }, false],
  ];
  for (const [name, statement, allowed] of cases) it(`${allowed ? "accepts" : "rejects"} ${name}`, () => assert.equal(allowsApiGateway(statement, "abc123", "prod"), allowed));
});

describe("smoke events from lambda-src", () => {
  it("loads at least the health probe as an API Gateway proxy event", () => {
    const events = loadSmokeEvents();
    assert.ok(events.some((e) => (e.event as { httpMethod?: string; path?: string }).httpMethod === "GET" && (e.event as { path?: string }).path === "/health"));
  });
});

describe("README release section", () => {
  it("documents the same exit codes as --help", () => {
    const readme = readFileSync(path.join(__dirname, "..", "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("<!-- section:release -->"), readme.indexOf("<!-- /section:release -->"));
    const documented = [...section.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1]));
    assert.deepEqual(documented, Object.values(EXIT));
  });
});

describe("numeric flag ranges", () => {
  // Written from the rules (settings.ts, the AWS weight and CloudWatch resolution limits), not read
  // from FLAG_RANGES: the edges of each range must be accepted and the values just past them refused.
  const edges: Record<string, { accepted: string[]; refused: string[] }> = {
    "--to-version": { accepted: ["1"], refused: ["0"] },
    "--canary-percent": { accepted: ["1", "99"], refused: ["0", "100"] },
    "--linear-percent": { accepted: ["1", "99"], refused: ["0", "100"] },
    "--bake": { accepted: ["0", "86400"], refused: ["86401"] },
    "--final-bake": { accepted: ["0", "86400"], refused: ["86401"] },
    "--steps": {
      accepted: ["1:0", "99:86400", Array.from({ length: 99 }, (_, i) => `${i + 1}:0`).join(",")],
      refused: ["0:60", "100:60", "5:86401", "50:60,20:60"],
    },
    "--max-error-rate": { accepted: ["0", "100"], refused: ["100.5"] },
    "--min-invocations": { accepted: ["1", "1000000"], refused: ["0"] },
    "--max-throttles": { accepted: ["0", "1000000"], refused: ["99999999999999999999"] },
    "--metric-delay": { accepted: ["0", "900"], refused: ["901"] },
    "--check-interval": { accepted: ["5", "3600"], refused: ["4", "3601"] },
    "--code-update-timeout": { accepted: ["5", "86400"], refused: ["4"] },
    "--evidence-deadline": { accepted: ["60", "86400"], refused: ["59", "86401"] },
    "--evidence-delay": { accepted: ["0", "300"], refused: ["-1", "301"] },
    "--pre-release-minutes": { accepted: ["0", "1440"], refused: ["-1", "1441"] },
  };
  const numeric = buildProgram()
    .options.filter((o) => /<(n|seconds|minutes|percent|list)>/.test(o.flags))
    .map((o) => o.long ?? "");
  const readme = readFileSync(path.join(__dirname, "..", "..", "..", "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("<!-- section:release -->"), readme.indexOf("<!-- /section:release -->"));
  /** README flag table: first flag of the row → its "accepts" cell. */
  const documented = new Map([...section.matchAll(/^\| `(--[\w-]+)[^|]*\| ([^|]*) \|/gm)].map((m) => [m[1], m[2].trim()]));

  it("has edge cases, a range in --help and a README row for every numeric flag, and no more", () => {
    assert.deepEqual(Object.keys(edges).sort(), [...numeric].sort());
    assert.deepEqual(Object.keys(FLAG_RANGES).sort(), [...numeric].sort());
  });

  for (const flag of numeric) {
    it(`${flag}: --help and the README state the same range, and the CLI enforces it`, async () => {
      const h = harness();
      try {
        assert.equal(await main(["--help"], h.io), EXIT.ok);
        const help = h.out().replace(/\s+/g, " ");
        const range = FLAG_RANGES[flag];
        assert.match(help, new RegExp(`${flag} <\\w+> [^\\[]*\\[${range.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\]`), `--help of ${flag}`);
        assert.equal(documented.get(flag), range, `README row of ${flag}`);
        for (const value of edges[flag].accepted) assert.equal(await main(["--dry-run", "--outputs", PROD, flag, value], h.io), EXIT.ok, `${flag} ${value.slice(0, 40)} must be accepted: ${h.err()}`);
        for (const value of edges[flag].refused) assert.equal(await main(["--dry-run", "--outputs", PROD, flag, value], h.io), EXIT.badInput, `${flag} ${value} must be refused`);
      } finally {
        h.restore();
      }
    });
  }
});

describe("shiftline-release bin", () => {
  it("runs the CLI through bin/release.js and exits with its code", function () {
    this.timeout(60_000);
    const root = path.join(__dirname, "..", "..", "..");
    const ok = spawnSync(process.execPath, [path.join(root, "bin", "release.js"), "--dry-run", "--outputs", STAGING], { cwd: root, encoding: "utf8" });
    assert.equal(ok.status, EXIT.ok, ok.stderr);
    assert.match(ok.stdout, /plan for staging/);
    const bad = spawnSync(process.execPath, [path.join(root, "bin", "release.js"), "--dry-run", "--outputs", STAGING, "--bake", "soon"], { cwd: root, encoding: "utf8" });
    assert.equal(bad.status, EXIT.badInput);
    assert.match(bad.stderr, /--bake = "soon"/);
  });
});
