import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ValidationError } from "../../lib/validation";
import { loadFunctionPackages, packageFor } from "../../components/build-manifest";
import { buildFunctions } from "../../lambda-src/build";
import { MockCloud } from "./mocks";

const SHA = "b".repeat(64);
const entry = (file: string) => ({ name: "api", file, sha256: SHA, sha256Base64: "q".repeat(43) + "=", size: 10, key: `functions/api/${SHA}.zip` });
const neverBuild = () => assert.fail("must not build when a manifest is given");

describe("function packages for the program", () => {
  const dir = mkdtempSync(join(tmpdir(), "shiftline-manifest-"));
  const zip = join(dir, "api.zip");
  writeFileSync(zip, "zip");

  it("builds lambda-src during the program when no manifest is configured", () => {
    const packages = loadFunctionPackages({ build: () => buildFunctions({ outDir: join(dir, "build") }) });
    assert.equal(packageFor(packages, "api").key, `functions/api/${packageFor(packages, "api").sha256}.zip`);
  });

  it("reads a prebuilt manifest without building", () => {
    const path = join(dir, "manifest.json");
    writeFileSync(path, JSON.stringify({ functions: [entry(zip)] }));
    assert.deepEqual(loadFunctionPackages({ manifestPath: path, build: neverBuild }), [entry(zip)]);
  });

  it("says exactly what to run when the manifest is missing", () => {
    assert.throws(() => loadFunctionPackages({ manifestPath: join(dir, "nope.json"), build: neverBuild }), /does not exist: run `npm run build` \(writes \.build\/manifest\.json\)/);
  });

  it("stops with the build error and the command to reproduce it when the build fails", () => {
    const failing = () => {
      throw new Error('esbuild failed for function "api": Unexpected "}"');
    };
    assert.throws(() => loadFunctionPackages({ build: failing }), /Building the function packages from lambda-src failed[\s\S]*Unexpected "}"[\s\S]*`npm run build`/);
  });

  it("rejects a manifest whose key does not match its hash, naming the field", () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify({ functions: [{ ...entry(zip), key: `functions/api/${"c".repeat(64)}.zip` }] }));
    assert.throws(
      () => loadFunctionPackages({ manifestPath: path, build: neverBuild }),
      (e: unknown) => e instanceof ValidationError && e.problems.some((p) => p.field === "functions[0]" && /key must be functions\/<name>\/<sha256>\.zip/.test(p.message)),
    );
  });

  it("rejects a manifest that points at a zip that is gone", () => {
    const path = join(dir, "gone.json");
    writeFileSync(path, JSON.stringify({ functions: [entry(join(dir, "gone.zip"))] }));
    assert.throws(() => loadFunctionPackages({ manifestPath: path, build: neverBuild }), /lists zips that do not exist/);
  });

  it("names the built functions when the api package is missing", () => {
    assert.throws(() => packageFor([{ ...entry(zip), name: "worker" }], "api"), /no package was built for function api \(built: worker\)/);
  });
});

describe("strict invoke mock", () => {
  it("fails on any provider call that is not stubbed", () => {
    assert.throws(() => new MockCloud().mocks.call({ token: "aws:ec2/getAmi:getAmi", inputs: {} }), /unexpected invoke aws:ec2\/getAmi:getAmi/);
  });
});
