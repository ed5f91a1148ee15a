/**
 * Adding names to the names table (seed 002's lookup data). The function itself only reads
 * names (see permissions.ts); people add them with `npm run names:add`, and `npm start` loads
 * local/seed/names.json into the local table.
 */
import { readFileSync } from "node:fs";
import { ConditionalCheckFailedException, PutItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import * as z from "zod/mini";
import { problemsFromZod, ValidationError } from "../lib/validation";
import { nameSchema } from "../lambda-src/input";
import { TABLES } from "../lambda-src/tables";

export const NAMES_SEED_FILE = `${__dirname}/seed/names.json`;

const namesSchema = z.array(nameSchema);

/** Checks names with the same rules GET /names applies, so every added name can be found. */
export function validateNames(input: unknown, subject: string): string[] {
  const result = namesSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ValidationError(subject, problemsFromZod(result.error.issues, "names"));
  return result.data;
}

/** Reads a JSON array of names, e.g. `["John", "Jane Doe"]`. */
export function readNamesFile(file: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}; the file must hold a JSON array of names like ["John", "Jane Doe"].`);
  }
  return validateNames(parsed, file);
}

export interface AddNamesResult {
  readonly added: string[];
  readonly alreadyPresent: string[];
}

/** Puts each name that is not stored yet; names already present are left untouched. */
export async function addNames(client: Pick<DynamoDBClient, "send">, table: string, names: readonly string[]): Promise<AddNamesResult> {
  const result: AddNamesResult = { added: [], alreadyPresent: [] };
  for (const name of new Set(names)) {
    try {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { [TABLES.names.hashKey]: { S: name } },
          ConditionExpression: "attribute_not_exists(#k)",
          ExpressionAttributeNames: { "#k": TABLES.names.hashKey },
        }),
      );
      result.added.push(name);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      result.alreadyPresent.push(name);
    }
  }
  return result;
}
