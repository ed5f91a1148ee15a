/**
 * One DynamoDB Local (in memory, free port) for every integration test file: started by the
 * first test that asks for it, stopped by a root-level `after` hook once all tests have run.
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { TableNames } from "../../lambda-src/dependencies";
import { localClient, startDynamoDbLocal, type DynamoDbLocal } from "../../local/dynamodb-local";
import { ensureTables } from "../../local/tables";

let shared: Promise<DynamoDbLocal> | undefined;
let client: DynamoDBClient | undefined;

/** The shared instance; rejects with a message saying what is missing if it cannot start. */
export function sharedDynamoDbLocal(): Promise<DynamoDbLocal> {
  shared ??= startDynamoDbLocal().catch((err: unknown) => {
    throw new Error(`integration tests need DynamoDB Local, which did not start: ${err instanceof Error ? err.message : String(err)}`);
  });
  return shared;
}

/** A client for the shared instance (created once). */
export async function sharedClient(): Promise<DynamoDBClient> {
  const { endpoint } = await sharedDynamoDbLocal();
  client ??= localClient(endpoint);
  return client;
}

/** Creates a todos and a names table with unique names, so test files never see each other's data. */
export async function freshTables(): Promise<TableNames> {
  const suffix = randomUUID().slice(0, 8);
  const names: TableNames = { todos: `todos-${suffix}`, names: `names-${suffix}` };
  await ensureTables(await sharedClient(), names);
  return names;
}

// Registered when the first test file imports this module; mocha runs root hooks after every
// test in every file, so the instance outlives all the files that share it.
if (typeof after === "function") {
  after(async function stopSharedDynamoDbLocal() {
    this.timeout(15_000);
    client?.destroy();
    const running = await shared?.catch(() => undefined);
    await running?.stop();
  });
}
