import assert from "node:assert/strict";
import { UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { main } from "../../../release/cli/release";
import { EXIT } from "../../../release/core/outcome";
import { awsError, harness, PROD, STAGING, T0, type Harness } from "../harness";

const wholly = (version: string) => ({ functionVersion: version, weights: {} });
const aliasNow = (h: Harness) => ({ functionVersion: h.world.alias.functionVersion, weights: h.world.alias.weights });
const writes = (h: Harness) => h.world.aliasWrites.map((w) => ({ functionVersion: w.functionVersion, weights: w.weights }));
const count = (h: Harness, name: string) => h.sent().filter((n) => n === name).length;
/** Seconds each alias write was held before the next one. */
const held = (h: Harness) => h.world.aliasWrites.slice(1).map((w, i) => (w.at - h.world.aliasWrites[i].at) / 1000);
/** Latest end (seconds after T0) of a metric window read before fake time `before`. */
const judgedUntil = (h: Harness, before: number) => Math.max(...h.world.metricWindows.filter((w) => w.at <= before).map((w) => (w.end - T0) / 1000));

describe("release run: strategies through UpdateAlias", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  it("canary: 10% on the target, a final bake holding it at weight 1.0, then the alias wholly on it, each write guarded by the previous write's RevisionId", async () => {
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.deepEqual(writes(h), [{ functionVersion: "41", weights: { "42": 10 } }, { functionVersion: "41", weights: { "42": 100 } }, wholly("42")]);
    assert.deepEqual(
      h.world.aliasWrites.map((w) => w.revisionId),
      ["alias-rev-1", "alias-rev-2", "alias-rev-3"],
    );
    const rawWeights = h.lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input.RoutingConfig?.AdditionalVersionWeights);
    assert.deepEqual(rawWeights, [{ "42": 0.1 }, { "42": 1 }, {}], "promotion clears the weights explicitly (an omitted RoutingConfig would keep them)");
    assert.deepEqual(aliasNow(h), wholly("42"));
    // The fixture bakes 300 s at 10% and 60 s at 100%; each is judged with metrics that reach a further 60 s (metricDelaySeconds) past the bake.
    const [canary, final] = held(h);
    assert.ok(canary >= 300 && final >= 60, `held ${canary}s and ${final}s`);
    assert.ok(judgedUntil(h, h.world.aliasWrites[1].at) >= 300 + 60, "the canary's metrics were read a metric delay after its bake");
    assert.match(h.out(), /promoted/);
  });

  it("linear: adds the step each time and promotes after the last partial step", async () => {
    const code = await main(["--outputs", PROD, "--strategy", "linear", "--linear-percent", "25", "--bake", "60"], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.deepEqual(
      writes(h).map((w) => w.weights["42"] ?? (w.functionVersion === "42" ? 100 : 0)),
      [25, 50, 75, 100, 100],
    );
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("custom steps from --steps, each with its own bake", async () => {
    const code = await main(["--outputs", PROD, "--steps", "5:60,25:120,50:30", "--final-bake", "0"], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.deepEqual(writes(h), [
      { functionVersion: "41", weights: { "42": 5 } },
      { functionVersion: "41", weights: { "42": 25 } },
      { functionVersion: "41", weights: { "42": 50 } },
      wholly("42"),
    ]);
    assert.deepEqual(held(h).map((s, i) => s >= [60, 120, 30][i]), [true, true, true], `held ${held(h).join(", ")}s`);
  });

  const stagingWorld = (h: Harness, roles: [string, string], dlq: [string?, string?] = []) => {
    h.world.alias.functionVersion = "16";
    h.world.versions.set("16", { state: "Active", role: roles[0], deadLetterTarget: dlq[0] });
    h.world.versions.set("17", { state: "Active", role: roles[1], deadLetterTarget: dlq[1] });
    h.world.restApiId = "z9y8x7w6v5";
    h.world.alarms = { "shiftline-staging-api-live-errors": "OK", "shiftline-staging-api-live-throttles": "OK" };
    h.world.functionName = "shiftline-staging-api";
    h.world.permittedStage = "staging";
  };
  const STAGING_ROLE = "arn:aws:iam::123456789012:role/shiftline-staging-api";

  it("all-at-once (staging): the switch is held at weight 1.0 for the final bake, then the alias is wholly on the target, verified with GetAlias", async () => {
    stagingWorld(h, [STAGING_ROLE, STAGING_ROLE]);
    const code = await main(["--outputs", STAGING], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.deepEqual(writes(h), [{ functionVersion: "16", weights: { "17": 100 } }, wholly("17")]);
    assert.equal(h.sent().at(-1), "GetAlias");
  });

  // Staging is all-at-once with a final bake: the 1.0 hold is a weighted alias, which AWS refuses
  // between versions with different roles or dead-letter queues (configuring-alias-routing).
  const unweightable: Array<[string, [string, string], [string?, string?], RegExp]> = [
    ["different execution roles", [STAGING_ROLE, "arn:aws:iam::123456789012:role/other"], [], /runs as arn:aws:iam::123456789012:role\/other but version 16 as .*same execution role/],
    ["a dead-letter queue added", [STAGING_ROLE, STAGING_ROLE], [undefined, "arn:aws:sqs:eu-west-1:123456789012:dlq"], /sends failed events to arn:aws:sqs:.*:dlq but version 16 to no dead-letter queue/],
  ];
  for (const [name, roles, dlq, why] of unweightable) {
    it(`all-at-once between versions with ${name}: preflight sees it before smoke, the alias points straight at the target for the watched final bake, and the report says so (exit 0)`, async () => {
      stagingWorld(h, roles, dlq);
      const code = await main(["--outputs", STAGING, "--json"], h.io);
      assert.equal(code, EXIT.ok, h.err());
      assert.deepEqual(writes(h), [wholly("17")], "one write, no weighted hold and no second write");
      assert.ok(count(h, "GetMetricData") > 1, "the final bake is watched");
      const report = JSON.parse(h.out()) as { notes: string[]; outcome: string };
      assert.equal(report.outcome, "promoted");
      assert.ok(report.notes.some((n) => /final bake cannot hold alias live at weight 1\.0/.test(n) && why.test(n) && /undo that with --to-version 16/.test(n)), report.notes.join("\n"));
    });
  }

  it("all-at-once between versions AWS cannot weight still rolls back to the previous version when the final bake fails (exit 1)", async () => {
    stagingWorld(h, [STAGING_ROLE, "arn:aws:iam::123456789012:role/other"]);
    h.clock.at(30, () => (h.world.alarms["shiftline-staging-api-live-errors"] = "ALARM"));
    assert.equal(await main(["--outputs", STAGING], h.io), EXIT.rolledBack);
    assert.deepEqual(writes(h), [wholly("17"), wholly("16")]);
  });

  it("an alias on $LATEST: a canary is refused before smoke (exit 3), all-at-once with a final bake switches directly", async () => {
    h.world.alias.functionVersion = "$LATEST";
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.gateFailed);
    assert.match(h.out(), /the alias points to \$LATEST, which a weighted alias cannot include .*--strategy all-at-once/);
    assert.equal(count(h, "Invoke"), 0, "refused before the smoke gate");
    assert.equal(await main(["--outputs", PROD, "--strategy", "all-at-once"], h.io), EXIT.ok, h.out());
    assert.deepEqual(writes(h), [wholly("42")]);
  });

  it("all-at-once without a final bake: one write straight to the target, and the report says health was not watched", async () => {
    const code = await main(["--outputs", PROD, "--strategy", "all-at-once", "--final-bake", "0", "--json"], h.io);
    assert.equal(code, EXIT.ok, h.err());
    assert.deepEqual(writes(h), [wholly("42")]);
    assert.equal(count(h, "GetMetricData"), 0);
    const report = JSON.parse(h.out()) as { skipped: string[] };
    assert.ok(report.skipped.some((s) => /health: not watched after the switch/.test(s)), report.skipped.join("; "));
  });

  it("rolls back to any published version with --to-version", async () => {
    h.world.alias.functionVersion = "42";
    const code = await main(["--outputs", PROD, "--to-version", "41", "--strategy", "all-at-once"], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.deepEqual(aliasNow(h), wholly("41"));
  });
});

describe("release run: faults end with the alias wholly on one version", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  it("an alarm firing mid-canary rolls back to the previous version (exit 1)", async () => {
    h.clock.at(120, () => (h.world.alarms["shiftline-prod-api-live-errors"] = "ALARM"));
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.rolledBack);
    assert.deepEqual(writes(h), [{ functionVersion: "41", weights: { "42": 10 } }, wholly("41")]);
    const rollback = h.lambda.commandCalls(UpdateAliasCommand).at(-1)?.args[0].input;
    assert.deepEqual(rollback?.RoutingConfig, { AdditionalVersionWeights: {} }, "the rollback clears the weights explicitly");
    assert.equal(rollback?.RevisionId, "alias-rev-2", "guarded by the RevisionId read just before it");
    assert.deepEqual(aliasNow(h), wholly("41"));
    assert.match(h.out(), /alarm shiftline-prod-api-live-errors is in ALARM\. Look into version 42 .*fix it and release a new version; rolled back: alias live is wholly on version 41/);
  });

  it("the target's error rate crossing the threshold rolls back (exit 1)", async () => {
    h.world.metrics = (v) => (v === "42" ? { invocations: 50, errors: 5 } : { invocations: 500, errors: 1 });
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.rolledBack);
    assert.deepEqual(aliasNow(h), wholly("41"));
    assert.match(h.out(), /target error rate 10% \(5\/50\)/);
  });

  it("an old version that is already failing, with its alarm already firing, does not block a fix (exit 0)", async () => {
    h.world.alarms["shiftline-prod-api-live-errors"] = "ALARM";
    h.world.metrics = (v) => (v === "42" ? { invocations: 40, errors: 2 } : { invocations: 300, errors: 90 });
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.deepEqual(aliasNow(h), wholly("42"));
    assert.match(h.out(), /already in ALARM before the release/);
  });

  it("a target worse than an already failing old version is still rolled back", async () => {
    h.world.alarms["shiftline-prod-api-live-errors"] = "ALARM";
    h.world.metrics = (v) => (v === "42" ? { invocations: 40, errors: 20 } : { invocations: 300, errors: 90 });
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.rolledBack);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("throttles that start once traffic moved roll back", async () => {
    // None in the ten minutes before the release; three from the minute of the first shift on.
    h.world.throttlesIn = (_start, end) => (end > T0 - 60_000 ? 3 : 0);
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.rolledBack);
    assert.deepEqual(aliasNow(h), wholly("41"));
    assert.match(h.out(), /3 throttled invocations on the alias \(at most 0 tolerated/);
  });

  it("throttles the alias already had at a steady rate before the release are not blamed on the target (exit 0)", async () => {
    h.world.throttlesIn = (start, end) => Math.floor((end - start) / 60_000);
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.match(h.out(), /had 10 throttles in the 10 minutes before the release/);
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("a steady 14 throttles a minute, summed over whole minutes as CloudWatch does, is not blamed on a release that starts mid-minute (exit 0)", async () => {
    // GetMetricData rounds StartTime down to the whole minute and returns every 1-minute datapoint
    // stamped before EndTime (API_GetMetricData), so a sum covers whole minutes only.
    const minutesCovered = (start: number, end: number) => {
      let n = 0;
      for (let t = Math.floor(start / 60_000) * 60_000; t < end; t += 60_000) n++;
      return n;
    };
    h.world.throttlesIn = (start, end) => 14 * minutesCovered(start, end);
    await h.clock.sleep(45_000);
    const code = await main(["--outputs", PROD, "--json"], h.io);
    assert.equal(code, EXIT.ok, h.err());
    assert.deepEqual(aliasNow(h), wholly("42"));
    assert.match(h.err(), /had 140 throttles in the 10 minutes before the release/);
    const report = JSON.parse(h.out()) as { checks: Array<{ throttles: number; notes: string[] }> };
    assert.ok(report.checks.every((c) => c.throttles === 0 || c.notes.some((n) => /throttled invocations on the alias, within \d+ tolerated \(maxThrottles 0 \+ \d+, the most \d+ whole minutes show at the alias's pre-release rate of 140 in 10 minutes/.test(n))));
  });

  it("metrics CloudWatch cannot compute (StatusCode InternalError) are not read as healthy: the canary rolls back (exit 1)", async () => {
    h.clock.at(1, () => (h.world.metricStatus = "InternalError"));
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.rolledBack);
    assert.match(h.out(), /health unknown at 10%: CloudWatch could not compute the metrics/);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  // A read that fails after the promotion's write was accepted leaves the promotion in place, reported unverified (exit 0).
  // The AccessDenied case was found by replaying releases: it used to roll the promotion back (exit 5).
  const afterPromotion: Array<[string, Error, RegExp]> = [
    ["a GetAlias failure", awsError("ServiceException", "Lambda was unable to complete the request", 500), /promoted \(UpdateAlias accepted\) but not verified: GetAlias failed.*aws lambda get-alias/],
    [
      "an AccessDenied on the read",
      awsError("AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/deployer/ci is not authorized to perform: lambda:GetAlias on resource: arn:aws:lambda:eu-west-1:123456789012:function:shiftline-prod-api", 403),
      /promoted \(UpdateAlias accepted\) but not verified: GetAlias failed \(access denied: GetAliasCommand needs the IAM action lambda:GetAlias/,
    ],
  ];
  for (const [what, error, message] of afterPromotion) {
    it(`${what} after an accepted promotion reports it unverified instead of rolling back a healthy release (exit 0)`, async () => {
      // Right after the promotion's write, so the read-back fails.
      h.world.onAliasWrite = (w) => {
        if (w.functionVersion === "42") h.world.fail("GetAlias", error);
      };
      const code = await main(["--outputs", PROD, "--json"], h.io);
      assert.equal(code, EXIT.ok, h.err());
      const report = JSON.parse(h.out()) as { outcome: string; message: string; skipped: string[] };
      assert.equal(report.outcome, "promoted");
      assert.match(report.message, message);
      assert.ok(report.skipped.some((s) => /promotion check/.test(s)));
      assert.deepEqual(aliasNow(h), wholly("42"));
    });
  }

  it("a failing smoke invocation stops the release before any traffic moves (exit 3)", async () => {
    h.world.invoke = (version, event) => ((event as { path: string }).path === "/todo" && version === "42" ? { statusCode: 502 } : { statusCode: 200 });
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.gateFailed);
    assert.equal(count(h, "UpdateAlias"), 0);
    assert.deepEqual(aliasNow(h), wholly("41"));
    assert.match(h.out(), /POST \/todo: statusCode 502 is not 2xx/);
  });

  it("without request metrics to show the previous version fails too, one failed smoke invocation stops the release (exit 3)", async () => {
    let failed = false;
    h.world.invoke = (version, event) => {
      if ((event as { path: string }).path === "/health" && version === "42" && !failed) {
        failed = true;
        return { statusCode: 503 };
      }
      return { statusCode: 200 };
    };
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.gateFailed);
    assert.equal(count(h, "UpdateAlias"), 0);
  });

  it("the smoke gate invokes the write once and the read-only events in three rounds, before any traffic moves", async () => {
    const seen: string[] = [];
    h.world.invoke = (_version, event) => {
      const e = event as { httpMethod: string; path: string };
      seen.push(`${e.httpMethod} ${e.path.startsWith("/todo/") ? "/todo/{id}" : e.path}`);
      return { statusCode: 200 };
    };
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.ok, h.err());
    // The harness's events are GET /health and POST /todo.
    assert.deepEqual(seen, ["GET /health", "POST /todo", "GET /health", "GET /health"]);
  });

  it("a smoke invocation with a FunctionError stops the release too", async () => {
    h.world.invoke = () => ({ functionError: "Unhandled" });
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.gateFailed);
    assert.equal(count(h, "UpdateAlias"), 0);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("retries throttled API calls with backoff on the injected clock and still promotes", async () => {
    const throttled = () => awsError("TooManyRequestsException", "Rate exceeded", 429);
    h.world.fail("UpdateAlias", throttled(), throttled());
    h.world.fail("GetMetricData", awsError("Throttling", "Rate exceeded", 400));
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.deepEqual(aliasNow(h), wholly("42"));
    assert.equal(count(h, "UpdateAlias"), 5, "two throttled attempts, then the 10% step, the final-bake hold and the promotion");
    assert.match(h.out(), /throttled: UpdateAliasCommand attempt 2/);
  });

  it("gives up after the retry budget, before the alias was touched (exit 5)", async () => {
    h.world.fail("UpdateAlias", ...Array.from({ length: 4 }, () => awsError("TooManyRequestsException", "Rate exceeded", 429)));
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.awsError);
    assert.match(h.out(), /TooManyRequestsException: Rate exceeded; no traffic had moved: alias live is wholly on version 41/);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("a concurrent change to the alias (RevisionId) fails loudly and is never overwritten (exit 4)", async () => {
    h.world.versions.set("43", { state: "Active", role: "x" });
    h.clock.at(100, () => h.world.externalAliasChange("43"));
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.conflict);
    assert.deepEqual(writes(h), [{ functionVersion: "41", weights: { "42": 10 } }]);
    assert.deepEqual(aliasNow(h), wholly("43"));
    assert.match(h.out(), /changed by someone else/);
  });

  it("AccessDenied names the missing action and resource from the AWS message (exit 5)", async () => {
    h.world.fail(
      "UpdateAlias",
      awsError(
        "AccessDeniedException",
        `User: arn:aws:sts::123456789012:assumed-role/deployer/gh is not authorized to perform: lambda:UpdateAlias on resource: arn:aws:lambda:eu-west-1:123456789012:function:fn:live because no identity-based policy allows the lambda:UpdateAlias action`,
        403,
      ),
    );
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.awsError);
    assert.match(h.out(), /UpdateAliasCommand needs the IAM action lambda:UpdateAlias on arn:aws:lambda:eu-west-1:123456789012:function:fn:live/);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("AccessDenied without a parsable message names the command's action from the IAM table, and rolls back", async () => {
    h.clock.at(60, () => h.world.fail("GetMetricData", awsError("AccessDenied", "Access denied", 403)));
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.awsError);
    assert.match(h.out(), /GetMetricDataCommand needs the IAM action cloudwatch:GetMetricData/);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("SIGINT during a bake rolls back (exit 130)", async () => {
    h.clock.at(90, () => h.signals.emit("SIGINT"));
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.interrupted);
    assert.deepEqual(aliasNow(h), wholly("41"));
    assert.match(h.out(), /interrupted by SIGINT/);
  });

  it("SIGTERM during the final bake rolls the held alias back too (exit 130)", async () => {
    h.clock.at(400, () => h.signals.emit("SIGTERM"));
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.interrupted);
    assert.deepEqual(writes(h).at(-1), wholly("41"));
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("says nothing to release when the alias already serves the target (exit 0)", async () => {
    h.world.alias.functionVersion = "42";
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.ok);
    assert.equal(count(h, "UpdateAlias"), 0);
    assert.deepEqual(aliasNow(h), wholly("42"));
    assert.match(h.out(), /nothing to release/);
  });

  it("refuses a target that is not published or not Active (exit 3)", async () => {
    h.world.versions.set("42", { state: "Pending", role: "arn:aws:iam::123456789012:role/shiftline-prod-api" });
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.gateFailed);
    assert.match(h.out(), /version 42 is Pending/);
    assert.equal(await main(["--outputs", PROD, "--to-version", "99"], h.io), EXIT.gateFailed);
    assert.match(h.out(), /version 99 is not published/);
    assert.equal(count(h, "UpdateAlias"), 0);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("refuses a weighted release between versions with different roles, and a stage without permission, listing both (exit 3)", async () => {
    h.world.versions.set("42", { state: "Active", role: "arn:aws:iam::123456789012:role/new-role" });
    h.world.policyMissing = true;
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.gateFailed);
    assert.match(h.out(), /2 problems/);
    assert.match(h.out(), /same execution role/);
    assert.match(h.out(), /stage prod .* has no permission/);
    assert.equal(count(h, "UpdateAlias"), 0);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("refuses when a configured alarm does not exist (health could not be watched)", async () => {
    delete h.world.alarms["shiftline-prod-api-live-p99-duration"];
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.gateFailed);
    assert.match(h.out(), /shiftline-prod-api-live-p99-duration .* not found/);
    assert.equal(count(h, "Invoke"), 0, "checked in preflight, before the smoke gate writes to the environment");
    assert.equal(count(h, "UpdateAlias"), 0);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });
});

describe("release run: crash, then resume or abort", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  /** A release whose process dies right after its first alias write: nothing it sends later reaches AWS. */
  async function crashAfterFirstShift(): Promise<void> {
    h.world.crashAfter = "UpdateAlias";
    await main(["--outputs", PROD], h.io);
    assert.deepEqual(aliasNow(h), { functionVersion: "41", weights: { "42": 10 } });
    h.world.down = false;
  }

  it("refuses to start over an unfinished release and names --resume and --abort (exit 4)", async () => {
    await crashAfterFirstShift();
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.conflict);
    assert.match(h.out(), /--resume to continue from 10%.*--abort to roll back wholly to version 41/);
    assert.deepEqual(aliasNow(h), { functionVersion: "41", weights: { "42": 10 } });
  });

  it("--resume continues from the current weight and promotes", async () => {
    await crashAfterFirstShift();
    const before = h.world.aliasWrites.length;
    const code = await main(["--outputs", PROD, "--resume"], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.deepEqual(writes(h).slice(before), [{ functionVersion: "41", weights: { "42": 100 } }, wholly("42")]);
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("--resume from a weight between steps bakes there first, then goes on", async () => {
    h.world.alias.weights = { "42": 15 };
    const code = await main(["--outputs", PROD, "--resume"], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.deepEqual(writes(h), [{ functionVersion: "41", weights: { "42": 100 } }, wholly("42")]);
    // The 15% split is baked for the prod fixture's step bake (300 s) before the next write.
    assert.ok(h.world.aliasWrites[0].at - T0 >= 300_000, `first write at ${(h.world.aliasWrites[0].at - T0) / 1000}s`);
  });

  it("--abort rolls the split back wholly to the primary version (exit 1)", async () => {
    await crashAfterFirstShift();
    const code = await main(["--outputs", PROD, "--abort"], h.io);
    assert.equal(code, EXIT.rolledBack);
    assert.deepEqual(aliasNow(h), wholly("41"));
    assert.match(h.out(), /aborted/);
  });

  it("a rollback that fails says the alias may be split (exit 6), and --abort then finishes it", async () => {
    h.clock.at(120, () => {
      h.world.alarms["shiftline-prod-api-live-errors"] = "ALARM";
      h.world.fail("UpdateAlias", awsError("ServiceException", "Lambda was unable to complete the request", 500));
    });
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.rollbackFailed);
    assert.deepEqual(aliasNow(h), { functionVersion: "41", weights: { "42": 10 } });
    assert.match(h.out(), /may still be split: run again with --abort/);
    assert.equal(await main(["--outputs", PROD, "--abort"], h.io), EXIT.rolledBack);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("--abort with nothing in flight changes nothing (exit 0)", async () => {
    assert.equal(await main(["--outputs", PROD, "--abort"], h.io), EXIT.ok);
    assert.equal(count(h, "UpdateAlias"), 0);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("refuses to resume over a split towards a different version", async () => {
    h.world.alias.weights = { "43": 20 };
    assert.equal(await main(["--outputs", PROD, "--resume"], h.io), EXIT.conflict);
    assert.match(h.out(), /routes 20% to version 43 \(not the target 42\)/);
    assert.equal(count(h, "UpdateAlias"), 0);
    assert.deepEqual(aliasNow(h), { functionVersion: "41", weights: { "43": 20 } }, "left exactly as the other release set it");
  });
});
