/**
 * The service's three budgets: zipped size per function, module init time of the shipped
 * bundle in a fresh Node process, and what the handler adds on top of the DynamoDB write it
 * makes (p50 of POST /todo through the bundled handler vs a direct PutItem, both against
 * DynamoDB Local, interleaved so drift hits both alike).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { unzipSync } from "fflate";
import { buildFunctions } from "../lambda-src/build";
import { createDynamoDbClient } from "../lambda-src/dependencies";
import { localClient, startDynamoDbLocal } from "../local/dynamodb-local";
import { localContext, toProxyEvent } from "../local/proxy-event";
import { ensureTables, tableEnv } from "../local/tables";
import type { Bench, BenchRow } from "./types";

const INIT_RUNS = 25;
const WARMUP = 50;
const SAMPLES = 300;

const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Milliseconds to `require` the bundle in a new Node process, as the Lambda runtime loads it;
 * with the table variables set, this includes creating the SDK client, which the module does.
 */
function initTimes(bundle: string): number[] {
  const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(bundle)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const times: number[] = [];
  for (let run = 0; run < INIT_RUNS; run++) {
    const child = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env: { PATH: process.env.PATH, AWS_REGION: "eu-west-1", TODOS_TABLE: "todos", NAMES_TABLE: "names" } });
    if (child.status !== 0) throw new Error(`loading ${bundle} failed: ${child.stderr}`);
    times.push(Number(child.stdout));
  }
  return times;
}

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** p50/p95 of the bundled handler's POST /todo and of the PutItem it makes, on DynamoDB Local. */
async function overhead(bundle: string): Promise<{ handler: number[]; direct: number[] }> {
  const dynamo = await startDynamoDbLocal();
  const admin = localClient(dynamo.endpoint);
  const savedEnv = { ...process.env };
  const realWrite = process.stdout.write.bind(process.stdout);
  try {
    const tables = { todos: "bench-todos", names: "bench-names" };
    await ensureTables(admin, tables);
    Object.assign(process.env, tableEnv(tables), { DYNAMODB_ENDPOINT: dynamo.endpoint, AWS_REGION: "local" });
    // The same client settings the handler uses, so only the handler's own work differs.
    const direct = createDynamoDbClient(process.env);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(bundle) as { handler: Handler };
    const context = localContext({ functionName: "bench", functionVersion: "1", timeoutMs: 10_000 });
    const event = (todoId: string) =>
      toProxyEvent({ method: "POST", url: "/todo", rawHeaders: [], body: Buffer.from(JSON.stringify({ todoId, title: "アレを買う" })), sourceIp: "127.0.0.1" }, { resource: "/todo", pathParameters: {} });
    const put = (todoId: string) =>
      direct.send(
        new PutItemCommand({
          TableName: tables.todos,
          Item: { todoId: { S: todoId }, title: { S: "アレを買う" }, createdAt: { N: String(Date.now()) }, lambdaVersion: { S: "1" } },
          ConditionExpression: "attribute_not_exists(todoId)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    // The handler's log lines are built and serialised as in Lambda; only the terminal write is
    // skipped so the table stays readable.
    process.stdout.write = (() => true) as typeof process.stdout.write;
    const handlerMs: number[] = [];
    const directMs: number[] = [];
    const timeHandler = async (i: number) => {
      const viaHandler = event(`h${i}`);
      const start = performance.now();
      const result = await handler(viaHandler, context);
      const ms = performance.now() - start;
      if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
      return ms;
    };
    const timeDirect = async (i: number) => {
      const start = performance.now();
      await put(`d${i}`);
      return performance.now() - start;
    };
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      // Alternate which goes first, so neither always meets a just-warmed connection or JIT.
      const [h, d] = i % 2 === 0 ? [await timeHandler(i), await timeDirect(i)] : [await timeDirect(i), await timeHandler(i)].reverse();
      if (i >= WARMUP) {
        handlerMs.push(h);
        directMs.push(d);
      }
    }
    direct.destroy();
    return { handler: handlerMs, direct: directMs };
  } finally {
    process.stdout.write = realWrite;
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    admin.destroy();
    await dynamo.stop();
  }
}

const bench: Bench = async () => {
  const dir = mkdtempSync(join(tmpdir(), "shiftline-bench-"));
  try {
    const manifest = buildFunctions({ outDir: dir });
    const rows: BenchRow[] = manifest.functions.map((fn) => ({
      area: "lambda",
      metric: `${fn.name}.zip size`,
      value: Math.round(fn.size / 100) / 10,
      unit: "kB",
      target: { value: 150, better: "lower" },
      note: "deterministic zip of the minified bundle (AWS SDK included)",
    }));
    const api = manifest.functions.find((f) => f.name === "api");
    if (!api) throw new Error("no api function in the build manifest");
    const bundle = join(dir, "api-index.js");
    writeFileSync(bundle, unzipSync(readFileSync(api.file))["index.js"]);

    const init = initTimes(bundle);
    rows.push({
      area: "lambda",
      metric: "api module init",
      value: Math.round(median(init) * 10) / 10,
      unit: "ms",
      target: { value: 60, better: "lower" },
      note: `median of ${INIT_RUNS} fresh node processes requiring the bundle (min ${Math.min(...init).toFixed(1)}, max ${Math.max(...init).toFixed(1)})`,
    });

    const { handler, direct } = await overhead(bundle);
    const ratio = percentile(handler, 50) / percentile(direct, 50);
    rows.push(
      { area: "lambda", metric: "POST /todo via handler p50", value: Math.round(percentile(handler, 50) * 100) / 100, unit: "ms", note: `p95 ${percentile(handler, 95).toFixed(2)} ms, ${SAMPLES} samples after ${WARMUP} warm-up` },
      { area: "lambda", metric: "direct PutItem p50", value: Math.round(percentile(direct, 50) * 100) / 100, unit: "ms", note: `p95 ${percentile(direct, 95).toFixed(2)} ms, same client settings, DynamoDB Local` },
      { area: "lambda", metric: "handler overhead (p50 ratio)", value: Math.round(ratio * 1000) / 1000, unit: "x", target: { value: 1.15, better: "lower" }, note: "handler p50 / direct PutItem p50, interleaved" },
    );
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
