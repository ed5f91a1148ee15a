/**
 * The pack as `pulumi preview --policy-pack policy` runs it: the nodejs language host starts
 * `@pulumi/pulumi/cmd/run-policy-pack` in the pack's folder (pulumi/pulumi
 * sdk/nodejs/cmd/pulumi-language-nodejs main.go RunPlugin), which compiles index.ts with
 * ts-node (type-checked), serves the Analyzer gRPC service and prints its port. This test starts
 * it the same way and talks to it as the engine does, so a pack that does not load, a
 * dependency npm ci does not install, or a policy missing from the served list fails here.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzeRequest, AnalyzerResourceOptions, EnforcementLevel, type AnalyzeDiagnostic, type AnalyzerInfo } from "@pulumi/pulumi/proto/analyzer_pb";
import { policies } from "../../policy/pack";
import { REPO_ROOT } from "../infra/program";

const PACK = join(REPO_ROOT, "policy");

describe("the policy pack served by Pulumi's run-policy-pack", function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  let client: AnalyzerClient;
  let stderr = "";

  before(async () => {
    // Resolved from the pack's folder, as the language host's locateModule does.
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK] });
    const started = spawn(process.execPath, [runner, "127.0.0.1:0", "."], { cwd: PACK, stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    started.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      started.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        const line = /^(\d+)\s*$/m.exec(out);
        if (line) resolve(line[1]);
      });
      started.on("exit", (code) => reject(new Error(`run-policy-pack exited with ${code} before serving: ${stderr}`)));
    });
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    if (child?.pid !== undefined && child.exitCode === null) child.kill("SIGTERM");
  });

  const info = () => new Promise<AnalyzerInfo>((resolve, reject) => client.getAnalyzerInfo(new Empty(), (e, r) => (e ? reject(e) : resolve(r))));
  const analyze = (type: string, name: string, props: Record<string, unknown>, ignoreChanges: string[] = []) =>
    new Promise<AnalyzeDiagnostic[]>((resolve, reject) => {
      const req = new AnalyzeRequest();
      req.setType(type);
      req.setName(name);
      req.setUrn(`urn:pulumi:prod::shiftline::${type}::${name}`);
      req.setProperties(Struct.fromJavaScript(props as Record<string, never>));
      const opts = new AnalyzerResourceOptions();
      opts.setIgnorechangesList(ignoreChanges);
      req.setOptions(opts);
      client.analyze(req, (e, r) => (e ? reject(e) : resolve(r.getDiagnosticsList())));
    });

  it("serves every policy of pack.ts with its enforcement level", async () => {
    const served = (await info()).getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]);
    const level = { mandatory: EnforcementLevel.MANDATORY, advisory: EnforcementLevel.ADVISORY } as Record<string, EnforcementLevel>;
    assert.deepEqual(served, policies.map((p) => [p.name, level[p.enforcementLevel ?? "advisory"]]));
  });

  it("reports an alias Pulumi would move as a mandatory violation, and passes one it leaves alone", async () => {
    const props = { name: "live", functionName: "fn", functionVersion: "3" };
    const bad = await analyze("aws:lambda/alias:Alias", "live", props, ["functionVersion"]);
    assert.deepEqual(bad.map((d) => [d.getPolicyname(), d.getEnforcementlevel()]), [["alias-traffic-owned-by-release", EnforcementLevel.MANDATORY]]);
    assert.match(bad[0].getMessage(), /ignoreChanges = \["functionVersion"\]: must include routingConfig/);
    assert.deepEqual(await analyze("aws:lambda/alias:Alias", "live", props, ["functionVersion", "routingConfig"]), []);
  });
});
