/**
 * The GitHub Actions workflows, read as YAML: deployments are serialised per stack and never
 * cancelled mid-release, `pulumi up` and the release step assume different roles in that
 * order, every step that runs pulumi reaches the shared state backend, the deployment ships
 * the test workflow's build, and every action is pinned to a major version.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { REPO_ROOT } from "./deployer-iam";

interface Step {
  id?: string;
  if?: string;
  name?: string;
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
  env?: Record<string, unknown>;
  steps?: Step[];
}
interface Workflow {
  env?: Record<string, unknown>;
  on: Record<string, { branches?: string[] } | null>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const DIR = path.join(REPO_ROOT, ".github", "workflows");
const read = (file: string): Workflow => YAML.parse(fs.readFileSync(path.join(DIR, file), "utf8")) as Workflow;
const allSteps = (w: Workflow): Step[] => Object.values(w.jobs).flatMap((j) => j.steps ?? []);

/** A step that runs the pulumi CLI: pulumi/actions (which drives it), or a shell line invoking `pulumi`. */
const runsPulumi = (s: Step): boolean => s.uses?.startsWith("pulumi/actions@") === true || (s.run !== undefined && /(?:^|[\s;&|(])pulumi(?=\s|$)/m.test(s.run));
/** The environment a step runs with: workflow env, overridden by job env, overridden by step env. */
const effectiveEnv = (w: Workflow, job: Job, step: Step): Record<string, unknown> => ({ ...w.env, ...job.env, ...step.env });
const BACKEND_CHECK = "Check the state backend";
/** Where the test workflow leaves the build and the deploy job picks it up: `${{ runner.temp }}` and `$RUNNER_TEMP` are one folder. */
const folder = (p: string) => p.replace("${{ runner.temp }}", "$RUNNER_TEMP").replace(/\/+$/, "");

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
    ["production.yml", "main", "prod", "custom"],
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

  // pulumi/actions passes `policyPacks` to `pulumi preview --policy-pack` (action.yml input
  // policyPacks; src/config.ts options.policyPacks). The pack is the folder with PulumiPolicy.yaml.
  it("previews both stacks with the policy pack, with the state backend, the preview role and the passphrase", () => {
    const w = read("pull-request.yml");
    const job = w.jobs.preview;
    const steps = job.steps ?? [];
    const preview = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@") === true && s.with?.command === "preview");
    assert.ok(preview >= 0, "a pulumi preview step");
    const step = steps[preview];
    assert.deepEqual(job.strategy?.matrix?.stack, ["staging", "prod"]);
    assert.equal(step.with?.["stack-name"], "${{ matrix.stack }}");
    const pack = String(step.with?.policyPacks);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, pack, "PulumiPolicy.yaml")), `policyPacks = ${pack} must be a policy pack folder`);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, pack, "package.json")));
    const workspaces = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { workspaces?: string[] }).workspaces;
    assert.ok(workspaces?.includes(pack), "npm ci installs the pack's dependencies (an npm workspace of the root package)");
    const install = steps.findIndex((s) => s.run === "npm ci --no-audit --no-fund");
    const credentials = steps.findIndex((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@") === true);
    assert.ok(install >= 0 && install < preview && credentials >= 0 && credentials < preview, "npm ci and the AWS credentials come before the preview");
    assert.equal(steps[credentials].with?.["role-to-assume"], "${{ vars.PULUMI_PREVIEW_ROLE_ARN }}");
    assert.equal(job.permissions?.["id-token"], "write");
    assert.equal(effectiveEnv(w, job, step).PULUMI_BACKEND_URL, "${{ vars.PULUMI_BACKEND_URL }}");
    assert.equal(step.env?.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
  });

  describe("the release plan comment of the pull request workflow", function () {
    this.timeout(60_000);
    const w = read("pull-request.yml");
    const job = w.jobs.preview;
    const steps = job.steps ?? [];
    const index = steps.findIndex((s) => s.name === "Release plan comment");
    const step = steps[index];

    it("runs after the preview, even when the preview failed, for each stack, with what it reads and writes", () => {
      const preview = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@") === true);
      assert.ok(index > preview && preview >= 0);
      assert.equal(step.if, "${{ !cancelled() }}");
      assert.equal(step.env?.STACK, "${{ matrix.stack }}");
      assert.equal(step.env?.PREVIEW_OUTCOME, `\${{ steps.${String(steps[preview].id)}.outcome }}`);
      assert.equal(step.env?.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
      assert.equal(step.env?.GH_TOKEN, "${{ github.token }}");
      assert.equal(job.permissions?.["pull-requests"], "write");
      assert.equal(effectiveEnv(w, job, step).PULUMI_BACKEND_URL, "${{ vars.PULUMI_BACKEND_URL }}");
    });

    /** Runs the step's script with fake `pulumi` and `gh` on PATH; returns the comment it posted and gh's calls. */
    function runStep(stack: string, opts: { outputs?: unknown; pulumiFails?: boolean; commentId?: string }) {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "release-plan-"));
      const bin = path.join(tmp, "bin");
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(tmp, "outputs.json"), JSON.stringify(opts.outputs ?? {}));
      const script = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
      script("pulumi", `[ "$1 $2 $3 $4 $5" = "stack output --json --stack ${stack}" ] || exit 9\n${opts.pulumiFails ? 'echo "error: no stack named ' + stack + ' found" >&2; exit 255' : `cat "${tmp}/outputs.json"`}`);
      script("gh", `echo "$*" >> "${tmp}/gh.log"\nfor a in "$@"; do case "$a" in body=@*) cp "\${a#body=@}" "${tmp}/posted.md";; esac; done\ncase "$*" in *"--jq"*) echo "${opts.commentId ?? ""}";; esac`);
      const r = spawnSync("bash", ["-e", "-c", String(step.run)], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        env: { PATH: `${bin}:${process.env.PATH}`, HOME: process.env.HOME, RUNNER_TEMP: tmp, STACK: stack, PREVIEW_OUTCOME: "success", PR_NUMBER: "42", GITHUB_REPOSITORY: "acme/shiftline", GH_TOKEN: "t" },
      });
      assert.equal(r.status, 0, r.stderr);
      const read = (f: string) => (fs.existsSync(path.join(tmp, f)) ? fs.readFileSync(path.join(tmp, f), "utf8") : "");
      return { comment: read("posted.md"), gh: read("gh.log") };
    }

    it("plans the release with this PR's settings over the stack's outputs, names the next published version, and creates the stack's comment", () => {
      const fixture = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "tests", "release", "fixtures", "prod-outputs.json"), "utf8")) as Record<string, unknown>;
      // The deployed outputs still carry an older strategy; the plan must follow Pulumi.prod.yaml (custom 10% → 50% → 100%).
      const { comment, gh } = runStep("prod", { outputs: { ...fixture, release: { strategy: "linear", linearStepPercent: 25 } } });
      assert.match(comment, /^<!-- shiftline-release-plan:prod -->\n#### Release plan on prod\n/);
      assert.match(comment, /`pulumi preview --policy-pack policy`: \*\*success\*\*/);
      assert.match(comment, /\*\*the next published version\*\*.*the plan shows the current latestVersion \(42\) in its place/);
      assert.match(comment, /plan for prod: shiftline-prod-api:live in eu-west-1/);
      assert.match(comment, /strategy: custom, 3 steps/);
      assert.match(comment, /\(release --dry-run exit code 0\)/);
      assert.match(gh, /^api repos\/acme\/shiftline\/issues\/42\/comments --paginate --jq /m);
      assert.match(gh, /^api --method POST repos\/acme\/shiftline\/issues\/42\/comments -F body=@/m);
    });

    it("edits the stack's earlier comment instead of adding one", () => {
      const fixture = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "tests", "release", "fixtures", "staging-outputs.json"), "utf8")) as unknown;
      const { comment, gh } = runStep("staging", { outputs: fixture, commentId: "777" });
      assert.match(comment, /strategy: all-at-once/);
      assert.match(gh, /^api --method PATCH repos\/acme\/shiftline\/issues\/comments\/777 -F body=@/m);
      assert.doesNotMatch(gh, /--method POST/);
    });

    it("says there is no plan when the stack has no outputs yet", () => {
      const { comment } = runStep("staging", { pulumiFails: true });
      assert.match(comment, /No release plan: `pulumi stack output --stack staging` returned no outputs \(error: no stack named staging found\)/);
      assert.doesNotMatch(comment, /plan for/);
    });
  });

  // Pulumi resolves the backend as PULUMI_BACKEND_URL, then Pulumi.yaml's backend.url, then the stored
  // login (pulumi/pulumi sdk/go/common/workspace/creds.go, GetCurrentCloudURL; pulumi/pulumi#5789).
  // Pulumi.yaml names file://./.pulumi-state, so the `pulumi login` of pulumi/actions' cloud-url is
  // never consulted: only the environment variable reaches the shared state.
  it("gives every step that runs pulumi the state backend through PULUMI_BACKEND_URL (Pulumi.yaml's file backend wins over a login)", () => {
    const project = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as { backend?: { url?: string } };
    assert.match(String(project.backend?.url), /^file:/, "the precondition this rule exists for");
    const checked: string[] = [];
    for (const f of files) {
      const w = read(f);
      for (const [jobName, job] of Object.entries(w.jobs)) {
        const steps = job.steps ?? [];
        steps.forEach((step, i) => {
          if (!runsPulumi(step)) return;
          const where = `${f} job ${jobName} step ${step.name ?? step.uses ?? step.run}`;
          checked.push(where);
          const backend = effectiveEnv(w, job, step).PULUMI_BACKEND_URL;
          assert.equal(backend, "${{ vars.PULUMI_BACKEND_URL }}", `${where}: needs env PULUMI_BACKEND_URL (step, job or workflow level); got ${String(backend)}`);
          const check = steps.findIndex((s) => s.name === BACKEND_CHECK);
          assert.ok(check >= 0 && check < i, `${where}: the "${BACKEND_CHECK}" step must come first`);
        });
      }
    }
    // The preview (pull requests), `pulumi up` and `pulumi stack output` (deploy.yml) at least.
    assert.ok(checked.length >= 3, `found only ${checked.join("; ")}`);
  });

  it("stops before pulumi runs when PULUMI_BACKEND_URL is unset or a local file backend", () => {
    const scripts = files.flatMap((f) => allSteps(read(f)).filter((s) => s.name === BACKEND_CHECK).map((s) => [f, String(s.run)] as const));
    assert.deepEqual(scripts.map(([f]) => f).sort(), ["deploy.yml", "pull-request.yml"]);
    for (const [f, script] of scripts) {
      const run = (url: string) => spawnSync("bash", ["-e", "-c", script], { env: { PATH: process.env.PATH, PULUMI_BACKEND_URL: url }, encoding: "utf8" });
      for (const bad of ["", "file://./.pulumi-state", "file://~"]) {
        const r = run(bad);
        assert.equal(r.status, 1, `${f}: ${JSON.stringify(bad)} must stop the job`);
        assert.match(r.stdout, /::error::vars\.PULUMI_BACKEND_URL = .*set it in this GitHub environment/);
      }
      assert.equal(run("s3://acme-pulumi-state/shiftline").status, 0, `${f}: an S3 backend passes`);
    }
  });

  it("builds the function packages once, after the checks, and keeps them as a workflow artifact", () => {
    const steps = read("test.yml").jobs.test.steps ?? [];
    const test = steps.findIndex((s) => s.run === "npm test");
    const build = steps.findIndex((s) => s.run?.startsWith("npm run build -- --out-dir ") === true);
    const upload = steps.findIndex((s) => s.uses?.startsWith("actions/upload-artifact@") === true);
    assert.ok(test >= 0 && test < build && build < upload, "order: npm test, npm run build, upload-artifact");
    const outDir = /--out-dir "([^"]+)"/.exec(String(steps[build].run))?.[1] ?? "";
    assert.equal(folder(String(steps[upload].with?.path)), folder(outDir), "uploads the folder the build wrote");
    assert.ok(!folder(outDir).split("/").some((part) => part.startsWith(".")), "upload-artifact leaves out hidden folders by default");
    assert.equal(steps[upload].with?.name, "function-packages");
    assert.equal(steps[upload].with?.["if-no-files-found"], "error");
  });

  it("deploys the tested build: deploy.yml downloads the artifact and passes its manifest, and never builds", () => {
    const job = read("deploy.yml").jobs.deploy;
    const steps = job.steps ?? [];
    for (const s of steps) {
      assert.doesNotMatch(String(s.run ?? ""), /npm run build|lambda-src\/build|esbuild/, `deploy.yml must not build: ${s.run}`);
    }
    const upload = (read("test.yml").jobs.test.steps ?? []).find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    const download = steps.findIndex((s) => s.uses?.startsWith("actions/download-artifact@") === true);
    const up = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@") === true && s.with?.command === "up");
    assert.ok(download >= 0 && download < up, "the artifact is downloaded before pulumi up");
    assert.equal(steps[download].with?.name, upload?.with?.name, "downloads the artifact the test workflow uploads");
    // pulumi/actions sets `config-map` on the stack before running the command (action.yml
    // input config-map, a YAML map of {value, secret}; src/main.ts stack.setAllConfig).
    const configMap = YAML.parse(String(steps[up].with?.["config-map"])) as Record<string, { value?: unknown; secret?: unknown }>;
    assert.deepEqual(configMap["shiftline:artifactManifest"], { value: `${String(steps[download].with?.path)}/manifest.json`, secret: false });
    // The program reads it as `shiftline:artifactManifest` (components/config.ts), and then builds nothing (index.ts).
    assert.match(fs.readFileSync(path.join(REPO_ROOT, "index.ts"), "utf8"), /loadFunctionPackages\(\{ manifestPath: config\.artifactManifest,/);
  });

  it("matches the README's prerequisites and CI backend rule", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const section = (title: string) => {
      const start = readme.indexOf(title);
      assert.ok(start >= 0, `README has ${title}`);
      const next = readme.slice(start + title.length).search(/\n#{2,3} /);
      return readme.slice(start, next < 0 ? undefined : start + title.length + next);
    };
    const prerequisites = section("## Prerequisites");
    const engines = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    // Node.js 22 is the floor everywhere: engines, the README, the workflows' setup-node and Lambda's runtime.
    assert.equal(engines, ">=22");
    assert.match(prerequisites, /Node\.js \| 22 or later \(`engines` in `package\.json`\), as in the workflows and in Lambda \(`nodejs22\.x`/);
    assert.match(prerequisites, /Java \| 17 or later/);
    assert.match(prerequisites, /Pulumi CLI \| 3\.x/);
    const ci = section("### Continuous integration");
    assert.match(ci, /PULUMI_BACKEND_URL: \$\{\{ vars\.PULUMI_BACKEND_URL \}\}/);
    assert.match(ci, /function-packages/);
    const deploying = section("### Deploying");
    assert.match(deploying, /mkdir -p \.pulumi-state[\s\S]*pulumi stack init staging\ngit add Pulumi\.staging\.yaml[\s\S]*pulumi up -s staging/, "in order: state folder, stack init, commit the stack file, up");
    assert.match(deploying, /\*\*`encryptionsalt`: commit it\.\*\*/);
  });

  it("runs npm ci and npm test in the shared test workflow", () => {
    const runs = allSteps(read("test.yml")).map((s) => s.run);
    assert.ok(runs.includes("npm ci --no-audit --no-fund"));
    assert.ok(runs.includes("npm test"));
  });
});
