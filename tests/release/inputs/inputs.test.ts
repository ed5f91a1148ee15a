import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildProgram } from "../../../release/cli/release";
import { loadOutputs, resolveInputs, type CliFlags } from "../../../release/inputs/resolve";
import { healthSchema, releaseSettingsSchema } from "../../../release/inputs/settings";
import { PROD, STAGING } from "../harness";
import { problemsOf } from "../../helpers/problems";

const dir = mkdtempSync(path.join(tmpdir(), "shiftline-inputs-"));
const prodJson = JSON.parse(readFileSync(PROD, "utf8")) as Record<string, unknown>;
const writeOutputs = (name: string, value: unknown) => {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
};
const resolve = (flags: CliFlags, env: NodeJS.ProcessEnv = {}) => resolveInputs(flags, loadOutputs(flags, () => undefined), env);
const problems = (flags: CliFlags): string[] => {
  return problemsOf(() => resolve(flags));
};

describe("release inputs", () => {
  it("takes the stack's settings and lets flags override strategy and bake times", () => {
    const staging = resolve({ outputs: STAGING, strategy: "canary", canaryPercent: "25", bake: "120" });
    assert.deepEqual([staging.settings.strategy, staging.settings.canaryPercent, staging.settings.stepBakeSeconds], ["canary", 25, 120]);
    assert.equal(staging.settings.health.minInvocations, 1, "health settings from the stack are kept");
    assert.equal(staging.target, "17");
  });

  it("turns --steps into a custom strategy", () => {
    const r = resolve({ outputs: PROD, steps: "5:60,25:120,50:300" });
    assert.equal(r.settings.strategy, "custom");
    assert.deepEqual(r.settings.steps, [
      { percent: 5, bakeSeconds: 60 },
      { percent: 25, bakeSeconds: 120 },
      { percent: 50, bakeSeconds: 300 },
    ]);
  });

  it("picks the alias through --stage when a stack has several, and checks only that stage's permission", () => {
    const file = writeOutputs("two-stages.json", {
      ...prodJson,
      aliases: ["live", "beta"],
      stages: {
        prod: { stageName: "prod", alias: "live", restApiId: "a1", invokeUrl: "https://a1.execute-api.eu-west-1.amazonaws.com/prod" },
        beta: { stageName: "beta", alias: "beta", restApiId: "a1", invokeUrl: "https://a1.execute-api.eu-west-1.amazonaws.com/beta" },
      },
      alarmNames: { live: ["live-errors"], beta: ["beta-errors"] },
    });
    const r = resolve({ outputs: file, stage: "beta" });
    assert.equal(r.alias, "beta");
    assert.deepEqual(r.stages.map((s) => s.stageName), ["beta"]);
    assert.deepEqual(r.alarmNames, ["beta-errors"]);
    assert.ok(problems({ outputs: file }).some((p) => /^--stage = \(missing\): the stack has several aliases \(live, beta\)/.test(p)));
  });

  it("works from explicit flags without stack outputs, and says which check that skips", () => {
    const r = resolve({ function: "fn", alias: "live", toVersion: "3", alarm: ["a1"] }, { AWS_REGION: "us-east-1" });
    assert.deepEqual([r.functionName, r.alias, r.region, r.target, r.alarmNames], ["fn", "live", "us-east-1", "3", ["a1"]]);
    assert.ok(r.skipped.some((s) => /stage invoke permission/.test(s)));
  });

  it("ignores stack outputs beyond the release contract", () => {
    const file = writeOutputs("extra.json", { ...prodJson, deployerRoleArn: "arn:aws:iam::1:role/deployer" });
    assert.equal(resolve({ outputs: file }).functionName, prodJson.functionName);
  });

  it("reads the outputs from the pulumi CLI when --stack is given without a file", () => {
    const flags = { stack: "prod" };
    const r = resolveInputs(flags, loadOutputs(flags, (stack) => (stack === "prod" ? JSON.stringify(prodJson) : undefined)), {});
    assert.equal(r.source, "pulumi stack output -s prod");
  });

  const cases: Array<[string, CliFlags, RegExp]> = [
    ["a canary over 99%", { outputs: PROD, canaryPercent: "150" }, /^--canary-percent \(release\.canaryPercent\) = 150: .*at most 99/],
    ["decreasing custom steps", { outputs: PROD, steps: "50:60,20:60" }, /^--steps \(release\.steps\[1\]\.percent\) = 20: .*increasing order/],
    ["malformed steps", { outputs: PROD, steps: "5%,10%" }, /^--steps = "5%,10%": --steps must be percent:bakeSeconds pairs/],
    ["a version that is not a number", { outputs: PROD, toVersion: "v7" }, /^--to-version = "v7": --to-version must be a published version number/],
    ["an unknown strategy", { outputs: PROD, strategy: "blue-green" }, /^--strategy = "blue-green": --strategy must be one of/],
    ["--resume with --abort", { outputs: PROD, resume: true, abort: true }, /^--resume = true: --resume and --abort exclude each other/],
    ["no inputs at all", {}, /^--function = \(missing\): no stack outputs were found: pass --outputs <file>/],
    ["an unknown stage", { outputs: PROD, stage: "qa" }, /^--stage = "qa": no such stage; stages: prod/],
    ["a stack name that does not match the outputs", { outputs: PROD, stack: "staging" }, /^--stack = "staging": the stack outputs are for environment prod/],
    ["--artifact with --to-version", { outputs: PROD, artifact: "x.zip", toVersion: "4" }, /^--to-version = "4": --artifact publishes the version/],
    ["explicit flags without a version", { function: "fn", alias: "live", region: "eu-west-1" }, /^--to-version = \(missing\): without stack outputs/],
    ["version 0", { outputs: PROD, toVersion: "0" }, /^--to-version = "?0"?: --to-version must be 1 or more: published versions start at 1/],
    ["--steps with another strategy", { outputs: PROD, strategy: "canary", steps: "5:60" }, /^--steps = "5:60": --steps gives custom steps, but --strategy is canary; drop --strategy/],
    ["--abort with a target", { outputs: PROD, abort: true, toVersion: "41" }, /^--to-version = "41": --abort puts the alias wholly back on its primary version and takes no target or schedule; drop --to-version/],
    ["--abort with a schedule", { outputs: PROD, abort: true, strategy: "linear" }, /^--strategy = "linear": --abort .* drop --strategy/],
    ["--stack without the Pulumi CLI", { stack: "prod" }, /^--stack = "prod": the Pulumi CLI is not on PATH.*pass --outputs <file>/],
    ["an alias the stack does not have", { outputs: PROD, alias: "beta" }, /^--alias = "beta": not an alias of this stack; pick one of live with --alias, or its stage with --stage/],
  ];
  for (const [name, flags, pattern] of cases) {
    it(`names the flag, value and fix for ${name}`, () => {
      const found = problems(flags);
      assert.ok(found.some((m) => pattern.test(m)), `no problem matched ${pattern}; got:\n${found.join("\n")}`);
    });
  }

  it("reports an invalid outputs file field by field", () => {
    const file = writeOutputs("bad.json", { ...prodJson, latestVersion: "$LATEST", artifactKeyPrefix: "api/" });
    const found = problems({ outputs: file });
    assert.ok(found.some((m) => /^outputs\.latestVersion = "\$LATEST": latestVersion must be a published version number/.test(m)), found.join("\n"));
    assert.ok(found.some((m) => /^outputs\.artifactKeyPrefix = "api\/"/.test(m)), found.join("\n"));
  });

  it("reports a mistyped or missing latestVersion and release with the fix", () => {
    const { release: _release, ...withoutRelease } = prodJson;
    const found = problems({ outputs: writeOutputs("types.json", { ...withoutRelease, latestVersion: 42 }) });
    assert.ok(found.some((m) => /^outputs\.latestVersion = 42: latestVersion must be a published version number as a string, such as "7"/.test(m)), found.join("\n"));
    assert.ok(found.some((m) => /^outputs\.release = \(missing\): release must be the stack's release settings object.*write \{\} for the defaults/.test(m)), found.join("\n"));
  });

  it("reports every flag problem at once", () => {
    assert.equal(problems({ outputs: PROD, canaryPercent: "x", bake: "y", toVersion: "z" }).length, 3);
  });

  it("refuses the stale latestVersion default in an artifact-mode stack and names --artifact and --to-version", () => {
    const file = writeOutputs("artifact-mode.json", { ...prodJson, codeDeployment: "release" });
    const found = problems({ outputs: file });
    assert.ok(
      found.some((m) => /^--to-version = \(missing\): stack prod deploys its code with the release step \(codeDeployment: release\), so its latestVersion output \(42\) does not know the versions --artifact published.*Pass --artifact <zip>.*or --to-version N/.test(m)),
      found.join("\n"),
    );
    assert.ok(problems({ outputs: file, resume: true }).some((m) => /^--to-version = \(missing\): stack prod deploys its code with the release step/.test(m)), "--resume needs the target named too");
    assert.equal(resolve({ outputs: file, toVersion: "41" }).target, "41");
    assert.equal(resolve({ outputs: file, artifact: "api.zip" }).target, undefined, "the version --artifact publishes is the target");
    assert.equal(resolve({ outputs: file, abort: true }).mode, "abort", "--abort needs no target");
    assert.equal(resolve({ outputs: PROD }).target, "42", "a codeDeployment: pulumi stack still defaults to latestVersion");
  });
});

/** Flags exactly as the command line hands them over (commander's defaults included). */
const parseArgv = (argv: string[]): CliFlags => buildProgram().exitOverride().parse(argv, { from: "user" }).opts<CliFlags>();

describe("flags override the stack's release settings", () => {
  type Settings = ReturnType<typeof resolve>["settings"];
  // [setting, stack value, argv, value after the flag]: every setting in both directions where it has two.
  const cases: Array<[string, Record<string, unknown>, string[], (s: Settings) => unknown, unknown]> = [
    ["strategy", { strategy: "canary" }, ["--strategy", "linear"], (s) => s.strategy, "linear"],
    ["canaryPercent", { strategy: "canary", canaryPercent: 10 }, ["--canary-percent", "25"], (s) => s.canaryPercent, 25],
    ["linearStepPercent", { strategy: "linear", linearStepPercent: 10 }, ["--linear-percent", "20"], (s) => s.linearStepPercent, 20],
    ["stepBakeSeconds", { stepBakeSeconds: 300 }, ["--bake", "60"], (s) => s.stepBakeSeconds, 60],
    ["finalBakeSeconds", { finalBakeSeconds: 60 }, ["--final-bake", "0"], (s) => s.finalBakeSeconds, 0],
    ["steps", { strategy: "custom", steps: [{ percent: 5, bakeSeconds: 60 }] }, ["--steps", "20:30"], (s) => s.steps, [{ percent: 20, bakeSeconds: 30 }]],
    ["smoke (off)", { smoke: true }, ["--no-smoke"], (s) => s.smoke, false],
    ["smoke (on)", { smoke: false }, ["--smoke"], (s) => s.smoke, true],
    ["stageCheck (off)", { stageCheck: { enabled: true } }, ["--no-stage-check"], (s) => s.stageCheck.enabled, false],
    ["health.maxErrorRatePercent", { health: { maxErrorRatePercent: 1 } }, ["--max-error-rate", "2.5"], (s) => s.health.maxErrorRatePercent, 2.5],
    ["health.minInvocations", { health: { minInvocations: 20 } }, ["--min-invocations", "5"], (s) => s.health.minInvocations, 5],
    ["health.maxThrottles", { health: { maxThrottles: 0 } }, ["--max-throttles", "3"], (s) => s.health.maxThrottles, 3],
    ["health.metricDelaySeconds", { health: { metricDelaySeconds: 60 } }, ["--metric-delay", "120"], (s) => s.health.metricDelaySeconds, 120],
    ["health.checkIntervalSeconds", { health: { checkIntervalSeconds: 30 } }, ["--check-interval", "5"], (s) => s.health.checkIntervalSeconds, 5],
    ["health.evidenceDeadlineSeconds", { health: { evidenceDeadlineSeconds: 900 } }, ["--evidence-deadline", "120"], (s) => s.health.evidenceDeadlineSeconds, 120],
    ["health.evidenceDelaySeconds", { health: { evidenceDelaySeconds: 15 } }, ["--evidence-delay", "40"], (s) => s.health.evidenceDelaySeconds, 40],
    ["health.preReleaseMinutes", { health: { preReleaseMinutes: 60 } }, ["--pre-release-minutes", "180"], (s) => s.health.preReleaseMinutes, 180],
    ["health.liveEvidence (off)", { health: { liveEvidence: true } }, ["--no-live-evidence"], (s) => s.health.liveEvidence, false],
  ];
  for (const [setting, stack, argv, read, expected] of cases) {
    it(`${argv.join(" ")} overrides the stack's ${setting}, and without it the stack's value stands`, () => {
      const file = writeOutputs(`override-${setting.replace(/\W+/g, "-")}.json`, { ...prodJson, release: stack });
      const stackValue = read(resolveInputs(parseArgv(["--outputs", file]), loadOutputs({ outputs: file }), {}).settings);
      assert.notDeepEqual(stackValue, expected, "the case must change the value");
      const flags = parseArgv(["--outputs", file, ...argv]);
      assert.deepEqual(read(resolveInputs(flags, loadOutputs(flags), {}).settings), expected);
    });
  }

  it("has a case for every release setting", () => {
    const covered = new Set(cases.map(([setting]) => setting.replace(/ \(.*\)$/, "")));
    // health.decision is a nested object of the rule's statistics: set in the stack file only.
    const settings = [...Object.keys(releaseSettingsSchema.shape).filter((k) => k !== "health"), ...Object.keys(healthSchema.shape).filter((k) => k !== "decision").map((k) => `health.${k}`)];
    assert.deepEqual(settings.filter((k) => !covered.has(k)), []);
  });
});
