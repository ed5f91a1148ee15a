/**
 * The DynamoDB calls the handlers make; exactly the actions in permissions.ts (PutItem and
 * GetItem on todos, GetItem on names). Items read back are validated like any other input.
 */
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import * as z from "zod/mini";
import { problemsFromZod, ValidationError } from "../lib/validation";
import type { Dependencies } from "./dependencies";
import { TABLES } from "./tables";

export interface Todo {
  readonly todoId: string;
  readonly title: string;
  /** Epoch milliseconds when the item was first written. */
  readonly createdAt: number;
  /** `context.functionVersion` of the invocation that wrote it (`$LATEST` or a number). */
  readonly lambdaVersion: string;
}

const storedTodoSchema = z.object({
  todoId: z.object({ S: z.string() }),
  title: z.object({ S: z.string() }),
  createdAt: z.object({ N: z.string().check(z.regex(/^\d+$/)) }),
  lambdaVersion: z.object({ S: z.string() }),
});

function todoFromItem(item: Record<string, AttributeValue>): Todo {
  const result = storedTodoSchema.safeParse(item, { reportInput: true });
  if (!result.success) throw new ValidationError(`stored todo item`, problemsFromZod(result.error.issues, "item"));
  const parsed = result.data;
  return { todoId: parsed.todoId.S, title: parsed.title.S, createdAt: Number(parsed.createdAt.N), lambdaVersion: parsed.lambdaVersion.S };
}

export type PutTodoOutcome = { readonly kind: "created" } | { readonly kind: "exists"; readonly existing: Todo };

/**
 * Writes the todo only if its todoId is new (one conditional PutItem, so an item is either
 * whole or absent). On a clash DynamoDB hands back the stored item
 * (ReturnValuesOnConditionCheckFailure), which the caller compares with the request.
 * `expiresAtEpochSeconds` (release smoke items only) is stored in the table's TTL attribute.
 */
export async function putTodoIfAbsent(deps: Dependencies, todo: Todo, abortSignal?: AbortSignal, expiresAtEpochSeconds?: number): Promise<PutTodoOutcome> {
  try {
    await deps.dynamodb.send(
      new PutItemCommand({
        TableName: deps.tables.todos,
        Item: {
          todoId: { S: todo.todoId },
          title: { S: todo.title },
          createdAt: { N: String(todo.createdAt) },
          lambdaVersion: { S: todo.lambdaVersion },
          ...(expiresAtEpochSeconds === undefined ? {} : { [TABLES.todos.ttlAttribute]: { N: String(expiresAtEpochSeconds) } }),
        },
        ConditionExpression: "attribute_not_exists(todoId)",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
      { abortSignal },
    );
    return { kind: "created" };
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
    const existing = err.Item ? todoFromItem(err.Item) : await getTodo(deps, todo.todoId, abortSignal);
    if (!existing) throw new Error(`todo ${todo.todoId} failed its attribute_not_exists condition but cannot be read back`, { cause: err });
    return { kind: "exists", existing };
  }
}

export async function getTodo(deps: Dependencies, todoId: string, abortSignal?: AbortSignal): Promise<Todo | undefined> {
  const out = await deps.dynamodb.send(new GetItemCommand({ TableName: deps.tables.todos, Key: { todoId: { S: todoId } }, ConsistentRead: true }), { abortSignal });
  return out.Item ? todoFromItem(out.Item) : undefined;
}

/** True when the names table holds exactly this name. */
export async function nameExists(deps: Dependencies, name: string, abortSignal?: AbortSignal): Promise<boolean> {
  const out = await deps.dynamodb.send(
    new GetItemCommand({ TableName: deps.tables.names, Key: { name: { S: name } }, ProjectionExpression: "#n", ExpressionAttributeNames: { "#n": "name" } }),
    { abortSignal },
  );
  return out.Item !== undefined;
}

/**
 * Reads a key that is never written from each table: proves the tables exist and the role may
 * read them, without scanning anything.
 */
export async function probeTables(deps: Dependencies, abortSignal?: AbortSignal): Promise<void> {
  await Promise.all([
    deps.dynamodb.send(new GetItemCommand({ TableName: deps.tables.todos, Key: { todoId: { S: "-health-probe-" } }, ProjectionExpression: "todoId" }), { abortSignal }),
    deps.dynamodb.send(
      new GetItemCommand({ TableName: deps.tables.names, Key: { name: { S: "-health-probe-" } }, ProjectionExpression: "#n", ExpressionAttributeNames: { "#n": "name" } }),
      { abortSignal },
    ),
  ]);
}
