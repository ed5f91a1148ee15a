/**
 * The GitHub Actions workflows, read as YAML: deployments are serialised per stack and never
 * cancelled mid-release, `pulumi up` and the release step assume different roles in that
 * order, and every action is pinned to a major version.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { REPO_ROOT } from "./deployer-iam";

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  uses?: string;
  needs?: string | string[];
  if?: string;
  environment?: string;
  permissions?: Record<string, string>;
  with?: Record<string, unknown>;
  secrets?: unknown;
  strategy?: { matrix?: Record<string, unknown> };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, { branches?: string[] } | null>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const DIR = path.join(REPO_ROOT, ".github", "workflows");
const read = (file: string): Workflow => YAML.parse(fs.readFileSync(path.join(DIR, file), "utf8")) as Workflow;
const allSteps = (w: Workflow): Step[] => Object.values(w.jobs).flatMap((j) => j.steps ?? []);

describe("GitHub Actions workflows", () => {
  const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith(".yml")) : [];

  it("has the pull request, staging and production workflows", () => {
    for (const f of ["pull-request.yml", "staging.yml", "production.yml", "deploy.yml", "test.yml"]) assert.ok(files.includes(f), f);
  });

  it("pins every action to a major version tag", () => {
    for (const f of files) {
      for (const step of allSteps(read(f))) {
        if (step.uses === undefined) continue;
        assert.match(step.uses, /^[\w.-]+\/[\w.-]+@v\d+$/, `${f}: ${step.uses}`);
      }
    }
  });

  it("runs Node 22 wherever Node is set up", () => {
    const nodes = files.flatMap((f) => allSteps(read(f)).filter((s) => s.uses?.startsWith("actions/setup-node@")));
    assert.ok(nodes.length > 0);
    for (const s of nodes) assert.equal(s.with?.["node-version"], 22);
  });

  const deploys: Array<[string, string, string, string]> = [
    ["staging.yml", "develop", "staging", "all-at-once"],
    ["production.yml", "main", "prod", "canary"],
  ];
  for (const [file, branch, stack, strategy] of deploys) {
    it(`${file} releases stack ${stack} with the ${strategy} strategy its stack file sets`, () => {
      const stackFile = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, { strategy?: string }> };
      assert.equal(stackFile.config["shiftline:release"]?.strategy, strategy);
      assert.equal(read(file).jobs.deploy.with?.stack, stack);
    });

    it(`${file} deploys stack ${stack} on a push to ${branch}, after the tests, one run at a time`, () => {
      const w = read(file);
      assert.deepEqual(w.on.push?.branches, [branch]);
      assert.deepEqual(w.concurrency, { group: `deploy-${stack}`, "cancel-in-progress": false });
      assert.equal(w.jobs.deploy.uses, "./.github/workflows/deploy.yml");
      assert.equal(w.jobs.deploy.with?.stack, stack);
      assert.equal(w.jobs.deploy.needs, "test");
      assert.equal(w.jobs.deploy.permissions?.["id-token"], "write");
    });
  }

  it("deploys with the infrastructure role, saves the outputs, then releases with the DeployerRole", () => {
    const job = read("deploy.yml").jobs.deploy;
    assert.equal(job.environment, "${{ inputs.stack }}");
    assert.equal(job.permissions?.["id-token"], "write");
    const steps = job.steps ?? [];
    const index = (pred: (s: Step) => boolean, what: string) => {
      const i = steps.findIndex(pred);
      assert.ok(i >= 0, what);
      return i;
    };
    const infraRole = index((s) => s.with?.["role-to-assume"] === "${{ vars.PULUMI_DEPLOY_ROLE_ARN }}", "infrastructure role");
    const up = index((s) => s.uses?.startsWith("pulumi/actions@") === true && s.with?.command === "up", "pulumi up");
    const outputs = index((s) => s.run?.includes("pulumi stack output --json") === true, "stack outputs");
    const releaseRole = index((s) => s.with?.["role-to-assume"] === "${{ vars.RELEASE_ROLE_ARN }}", "release role");
    const release = index((s) => s.run === 'npm run release -- --stack "${{ inputs.stack }}" --outputs "$RUNNER_TEMP/stack-outputs.json"', "release");
    assert.ok(infraRole < up && up < outputs && outputs < releaseRole && releaseRole < release, "order: infra role, up, outputs, release role, release");
    assert.equal(steps[releaseRole].with?.["unset-current-credentials"], true, "the release must not keep the infrastructure credentials");
    assert.equal(steps[up].env?.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
    assert.equal(steps[up].with?.["cloud-url"], "${{ vars.PULUMI_BACKEND_URL }}");
  });

  it("previews both stacks on pull requests with a PR comment, and runs the tests", () => {
    const w = read("pull-request.yml");
    assert.ok("pull_request" in w.on);
    assert.equal(w.jobs.test.uses, "./.github/workflows/test.yml");
    const preview = w.jobs.preview;
    assert.deepEqual(preview.strategy?.matrix?.stack, ["staging", "prod"]);
    assert.equal(preview.permissions?.["pull-requests"], "write");
    const step = (preview.steps ?? []).find((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.equal(step?.with?.command, "preview");
    assert.equal(step?.with?.["comment-on-pr"], true);
    assert.equal(step?.with?.["stack-name"], "${{ matrix.stack }}");
  });

  it("runs npm ci and npm test in the shared test workflow", () => {
    const runs = allSteps(read("test.yml")).map((s) => s.run);
    assert.ok(runs.includes("npm ci --no-audit --no-fund"));
    assert.ok(runs.includes("npm test"));
  });
});
