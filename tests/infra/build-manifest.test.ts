import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ValidationError } from "../../lib/validation";
import { loadFunctionPackages, packageFor } from "../../components/build-manifest";
import { buildFunctions } from "../../lambda-src/build";
import { MockCloud, ofType } from "./mocks";
import { evaluateProgram } from "./program";

const ZIP = Buffer.from("PK\x03\x04 a zip");
const SHA = createHash("sha256").update(ZIP).digest("hex");
const SHA64 = createHash("sha256").update(ZIP).digest("base64");
const entry = (file: string) => ({ name: "api", file, sha256: SHA, sha256Base64: SHA64, size: ZIP.byteLength, key: `functions/api/${SHA}.zip` });
const neverBuild = () => assert.fail("must not build when a manifest is given");

const problemOf = (field: string, message: RegExp) => (e: unknown) =>
  e instanceof ValidationError && e.problems.some((p) => p.field === field && message.test(p.message)) ? true : assert.fail(`expected a problem on ${field} matching ${message}, got: ${String(e)}`);

describe("function packages for the program", function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const tempDir = (label: string) => {
    const dir = mkdtempSync(join(tmpdir(), `shiftline-manifest-${label}-`));
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const dir = tempDir("fixture");
  writeFileSync(join(dir, "api.zip"), ZIP);
  const manifestWith = (name: string, functions: unknown[]) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify({ functions }));
    return path;
  };

  it("builds lambda-src during the program when no manifest is configured", () => {
    const packages = loadFunctionPackages({ build: () => buildFunctions({ outDir: tempDir("build") }) });
    assert.equal(packageFor(packages, "api").key, `functions/api/${packageFor(packages, "api").sha256}.zip`);
  });

  it("reads a prebuilt manifest without building, resolving its paths against the manifest's folder", () => {
    assert.deepEqual(loadFunctionPackages({ manifestPath: manifestWith("manifest.json", [entry("api.zip")]), build: neverBuild }), [entry(join(dir, "api.zip"))]);
  });

  it("writes manifest.json with paths relative to its folder, and nothing of the folder it was built in", () => {
    const outDir = tempDir("relative");
    buildFunctions({ outDir });
    const text = readFileSync(join(outDir, "manifest.json"), "utf8");
    const written = JSON.parse(text) as { functions: Array<{ file: string; sourceMap: { file: string } }> };
    assert.deepEqual(written.functions.map((f) => [f.file, f.sourceMap.file]), [["api.zip", "api.index.js.map"]]);
    assert.ok(!text.includes(outDir), "no absolute path of the build folder in the manifest");
  });

  it("deploys a manifest whose folder was moved to another place after the build (a CI artifact built in one job, deployed from another)", async () => {
    const built = tempDir("built");
    const manifest = buildFunctions({ outDir: built });
    const moved = tempDir("moved");
    cpSync(built, moved, { recursive: true });
    rmSync(built, { recursive: true, force: true });

    const packages = loadFunctionPackages({ manifestPath: join(moved, "manifest.json"), build: neverBuild });
    assert.deepEqual(packages.map((p) => [p.name, p.file, p.sha256, p.sourceMap?.file]), manifest.functions.map((f) => [f.name, join(moved, `${f.name}.zip`), f.sha256, join(moved, `${f.name}.index.js.map`)]));

    // The whole program, as `pulumi up` with shiftline:artifactManifest set: the zip uploaded is the moved one.
    const run = await evaluateProgram("staging", { "shiftline:artifactManifest": join(moved, "manifest.json") });
    const objects = ofType(run.resources, "pulumi-nodejs:dynamic/shiftline:VersionedArtifact");
    const api = manifest.functions.find((f) => f.name === "api");
    assert.deepEqual(
      objects.map((o) => [o.inputs.key, o.inputs.file]),
      [[api?.key, join(moved, "api.zip")]],
    );
  });

  it("refuses an absolute path in the manifest, naming the field and the fix", () => {
    for (const file of [join(dir, "api.zip"), "C:\\build\\api.zip", "/home/runner/work/.build/api.zip"]) {
      assert.throws(() => loadFunctionPackages({ manifestPath: manifestWith("absolute.json", [entry(file)]), build: neverBuild }), problemOf("functions[0].file", /is an absolute path[\s\S]*relative to its own folder[\s\S]*npm run build/));
    }
  });

  it("refuses a path that leaves the manifest's folder", () => {
    for (const file of ["../api.zip", "sub/../../api.zip", "..\\api.zip"]) {
      assert.throws(() => loadFunctionPackages({ manifestPath: manifestWith("escape.json", [entry(file)]), build: neverBuild }), problemOf("functions[0].file", /leaves the manifest's folder/));
    }
    const withMap = { ...entry("api.zip"), sourceMap: { file: "../api.index.js.map", sha256: SHA } };
    assert.throws(() => loadFunctionPackages({ manifestPath: manifestWith("escape-map.json", [withMap]), build: neverBuild }), problemOf("functions[0].sourceMap.file", /leaves the manifest's folder/));
  });

  it("refuses a zip whose bytes differ from what the manifest recorded", () => {
    writeFileSync(join(dir, "changed.zip"), Buffer.concat([ZIP, Buffer.from("!")]));
    assert.throws(() => loadFunctionPackages({ manifestPath: manifestWith("changed.json", [entry("changed.zip")]), build: neverBuild }), problemOf("functions[0].file", /the zip changed after the build/));
  });

  it("says exactly what to run when the manifest is missing", () => {
    assert.throws(() => loadFunctionPackages({ manifestPath: join(dir, "nope.json"), build: neverBuild }), /does not exist: run `npm run build` \(writes \.build\/manifest\.json\)/);
  });

  it("says so when the manifest is not JSON", () => {
    writeFileSync(join(dir, "broken.json"), "{");
    assert.throws(() => loadFunctionPackages({ manifestPath: join(dir, "broken.json"), build: neverBuild }), /broken\.json is not JSON/);
  });

  it("stops with the build error and the command to reproduce it when the build fails", () => {
    const failing = () => {
      throw new Error('esbuild failed for function "api": Unexpected "}"');
    };
    assert.throws(() => loadFunctionPackages({ build: failing }), /Building the function packages from lambda-src failed[\s\S]*Unexpected "}"[\s\S]*`npm run build`/);
  });

  it("rejects a manifest whose key does not match its hash, naming the field", () => {
    const path = manifestWith("bad.json", [{ ...entry("api.zip"), key: `functions/api/${"c".repeat(64)}.zip` }]);
    assert.throws(() => loadFunctionPackages({ manifestPath: path, build: neverBuild }), problemOf("functions[0]", /key must be functions\/<name>\/<sha256>\.zip/));
  });

  it("rejects a manifest that points at a zip that is gone", () => {
    assert.throws(() => loadFunctionPackages({ manifestPath: manifestWith("gone.json", [entry("gone.zip")]), build: neverBuild }), /lists zips that do not exist/);
  });

  it("names the built functions when the api package is missing", () => {
    assert.throws(() => packageFor([{ ...entry("api.zip"), name: "worker" }], "api"), /no package was built for function api \(built: worker\)/);
  });
});

describe("strict invoke mock", () => {
  it("fails on any provider call that is not stubbed", () => {
    assert.throws(() => new MockCloud().mocks.call({ token: "aws:ec2/getAmi:getAmi", inputs: {} }), /unexpected invoke aws:ec2\/getAmi:getAmi/);
  });
});
