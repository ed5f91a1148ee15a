/**
 * The DynamoDB tables the service uses: key schema and the environment variable that
 * carries each table's name into the function. Read by the handlers, the local runner
 * (to create tables) and the Table component (to define them), so they cannot drift.
 */
export interface TableSpec {
  /** Partition key attribute (string). */
  readonly hashKey: string;
  /** Environment variable holding the physical table name. */
  readonly env: string;
  /** Number attribute (epoch seconds) that DynamoDB's TTL deletes items by; only some items carry it. */
  readonly ttlAttribute?: string;
}

export const TABLES = {
  // Only release smoke items carry expiresAt (lambda-src/smoke-events.ts).
  todos: { hashKey: "todoId", env: "TODOS_TABLE", ttlAttribute: "expiresAt" },
  names: { hashKey: "name", env: "NAMES_TABLE" },
} as const satisfies Record<string, TableSpec>;

export type TableKey = keyof typeof TABLES;
