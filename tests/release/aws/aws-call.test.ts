import assert from "node:assert/strict";
import { AccessDeniedStop, backoffMs, callAws, isThrottling, parseAccessDenied, type CallContext } from "../../../release/aws/call";
import { EXIT } from "../../../release/core/outcome";
import { awsError, FakeClock } from "../harness";

const context = (clock: FakeClock, retries: Array<[string, number]>): CallContext => ({
  clock,
  retry: { attempts: 3, baseDelayMs: 1000, maxDelayMs: 8000 },
  onRetry: (command, _attempt, delayMs) => retries.push([command, delayMs]),
});

describe("AWS call wrapper", () => {
  it("retries throttling with backoff on the injected clock, then returns the result", async () => {
    const clock = new FakeClock();
    const retries: Array<[string, number]> = [];
    let calls = 0;
    const result = await callAws(context(clock, retries), "GetAliasCommand", async () => {
      calls++;
      if (calls < 3) throw awsError("TooManyRequestsException", "Rate exceeded", 429);
      return "ok";
    });
    assert.equal(result, "ok");
    assert.equal(calls, 3);
    assert.equal(retries.length, 2);
    assert.equal(clock.slept, retries[0][1] + retries[1][1]);
  });

  it("gives up after the attempt budget with the last throttling error", async () => {
    const clock = new FakeClock();
    let calls = 0;
    await assert.rejects(
      callAws(context(clock, []), "GetMetricDataCommand", async () => {
        calls++;
        throw awsError("Throttling", "Rate exceeded");
      }),
      /Rate exceeded/,
    );
    assert.equal(calls, 3);
  });

  it("does not retry other errors", async () => {
    let calls = 0;
    await assert.rejects(
      callAws(context(new FakeClock(), []), "GetAliasCommand", async () => {
        calls++;
        throw awsError("ResourceNotFoundException", "nope", 404);
      }),
      /nope/,
    );
    assert.equal(calls, 1);
  });

  it("keeps each backoff between half and all of its capped exponential ceiling", () => {
    const policy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 4000 };
    const cases: Array<[number, number, number]> = [
      [1, 250, 500],
      [2, 500, 1000],
      [3, 1000, 2000],
      [5, 2000, 4000],
    ];
    for (const [attempt, low, high] of cases) {
      assert.equal(backoffMs(policy, attempt, () => 0), low);
      assert.equal(backoffMs(policy, attempt, () => 1), high);
    }
  });

  it("recognises throttling by code, by the SDK's retryable flag and by HTTP 429", () => {
    assert.ok(isThrottling(awsError("ThrottlingException", "x")));
    assert.ok(isThrottling(Object.assign(new Error("x"), { $retryable: { throttling: true } })));
    assert.ok(isThrottling(awsError("Whatever", "x", 429)));
    assert.ok(!isThrottling(awsError("ValidationException", "x")));
  });

  it("turns AccessDenied into a stop naming the action and resource", async () => {
    const message = "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::b/functions/api/x.zip\" because no identity-based policy allows it";
    assert.deepEqual(parseAccessDenied(message), { action: "s3:PutObject", resource: "arn:aws:s3:::b/functions/api/x.zip" });
    const denied = await callAws(context(new FakeClock(), []), "PutObjectCommand", async () => {
      throw awsError("AccessDenied", message, 403);
    }).catch((e: unknown) => e);
    assert.ok(denied instanceof AccessDeniedStop);
    assert.equal(denied.exitCode, EXIT.awsError);
    assert.equal(denied.action, "s3:PutObject");
  });

  it("names every action of the command from the IAM table when AWS does not say which", async () => {
    const denied = await callAws(context(new FakeClock(), []), "UpdateFunctionCodeCommand", async () => {
      throw awsError("AccessDeniedException", "Access denied", 403);
    }).catch((e: unknown) => e);
    assert.ok(denied instanceof AccessDeniedStop);
    assert.match(denied.message, /lambda:UpdateFunctionCode \+ s3:GetObject \+ s3:GetObjectVersion/);
  });
});
