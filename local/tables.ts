/** Creates the service's tables from TABLES when they do not exist yet (DynamoDB Local or a test). */
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { TableNames } from "../lambda-src/dependencies";
import { TABLES, type TableKey } from "../lambda-src/tables";

/** Table names `npm start` uses, one per TABLES entry. */
export const LOCAL_TABLE_NAMES: TableNames = { todos: "shiftline-todos", names: "shiftline-names" };

/** Returns the tables it created (empty when all existed). */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<string[]> {
  const created: string[] = [];
  for (const key of Object.keys(TABLES) as TableKey[]) {
    const TableName = names[key];
    try {
      await client.send(new DescribeTableCommand({ TableName }));
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
      const { hashKey } = TABLES[key];
      await client.send(
        new CreateTableCommand({
          TableName,
          AttributeDefinitions: [{ AttributeName: hashKey, AttributeType: "S" }],
          KeySchema: [{ AttributeName: hashKey, KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
      created.push(TableName);
    }
  }
  return created;
}

/** Table-name environment variables for the handler, from TABLES[..].env. */
export function tableEnv(names: TableNames): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of Object.keys(TABLES) as TableKey[]) env[TABLES[key].env] = names[key];
  return env;
}
