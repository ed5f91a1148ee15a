import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { freshTables, sharedClient, sharedDynamoDbLocal } from "../helpers/dynamodb-local";

const REPO = path.join(__dirname, "..", "..");

function namesAdd(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // No AWS credentials or region from the machine running the tests: a bad argument must be
  // refused before any AWS call could be tried.
  const env = { PATH: process.env.PATH ?? "", HOME: "/nonexistent" };
  const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "local/add-names.ts", ...args], { cwd: REPO, env, encoding: "utf8", timeout: 30_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run names:add (spawned)", function () {
  this.timeout(60_000);

  // README "Adding names": exit codes 0 done, 1 a DynamoDB call failed, 2 invalid arguments or names.
  const badArguments: ReadonlyArray<{ readonly what: string; readonly args: string[]; readonly names: RegExp }> = [
    { what: "an unknown option", args: ["--table", "shiftline-names", "--endpont", "http://127.0.0.1:1", "John"], names: /unknown option .--endpont.*--help/s },
    { what: "a missing --table", args: ["John"], names: /--table.*--help/s },
    { what: "an --endpoint that is not a URL", args: ["--table", "shiftline-names", "--endpoint", "localhost:8000", "John"], names: /--endpoint = "localhost:8000": must be an http:\/\/ or https:\/\/ URL/ },
    { what: "an --endpoint with another scheme", args: ["--table", "shiftline-names", "--endpoint", "ftp://127.0.0.1:8000", "John"], names: /--endpoint = .*http:\/\//s },
    { what: "a table name DynamoDB refuses", args: ["--table", "x", "--endpoint", "http://127.0.0.1:1", "John"], names: /--table = "x": must be 3–255 letters/ },
    { what: "a region that is no region name", args: ["--table", "shiftline-names", "--region", "EU West", "John"], names: /--region = "EU West": must be an AWS region name/ },
    { what: "a name the lookup could never find", args: ["--table", "shiftline-names", "--endpoint", "http://127.0.0.1:1", "a\tb"], names: /names\[0\]/ },
    { what: "no names at all", args: ["--table", "shiftline-names", "--endpoint", "http://127.0.0.1:1"], names: /no names given/ },
  ];
  for (const c of badArguments) {
    it(`exits 2 and names the field and the fix for ${c.what}`, () => {
      const run = namesAdd(...c.args);
      assert.equal(run.status, 2, `exit code for ${c.what}; stderr: ${run.stderr}`);
      assert.match(run.stderr, c.names);
    });
  }

  it("exits 0 for --help", () => {
    const run = namesAdd("--help");
    assert.equal(run.status, 0);
    assert.match(run.stdout, /Exit codes: 0 all names stored, 1 a DynamoDB call failed, 2 invalid arguments or names/);
  });

  it("exits 1 when the DynamoDB call fails (nothing listens at the endpoint)", () => {
    const run = namesAdd("--table", "shiftline-names", "--endpoint", "http://127.0.0.1:1", "John");
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /could not add names to shiftline-names/);
  });

  it("exits 0 and stores the names in DynamoDB Local", async () => {
    const client = await sharedClient();
    const { names } = await freshTables();
    const run = namesAdd("--table", names, "--endpoint", (await sharedDynamoDbLocal()).endpoint, "Jane Roe");
    assert.equal(run.status, 0, run.stderr);
    const item = await client.send(new GetItemCommand({ TableName: names, Key: { name: { S: "Jane Roe" } } }));
    assert.equal(item.Item?.name.S, "Jane Roe");
  });
});
