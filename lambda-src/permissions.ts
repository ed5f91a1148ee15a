/**
 * Exactly the DynamoDB actions the handlers call, per table. The execution role grants
 * these and nothing else, and a test checks the handlers' SDK commands against this list.
 */
import type { TableKey } from "./tables";

export const TABLE_ACTIONS: Readonly<Record<TableKey, readonly string[]>> = {
  // PutItem with a condition expression (idempotent create); GetItem for reads and the health probe.
  todos: ["dynamodb:PutItem", "dynamodb:GetItem"],
  // Lookups only; names are added by operators (see README), not by the function.
  names: ["dynamodb:GetItem"],
};
