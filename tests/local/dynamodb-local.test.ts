import assert from "node:assert/strict";
import { startDynamoDbLocal } from "../../local/dynamodb-local";

describe("DynamoDB Local launcher", () => {
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
