/**
 * The service's three budgets: zipped size per function, module init time of the shipped
 * bundle in a fresh Node process, and what the handler adds on top of the DynamoDB write it
 * makes: POST /todo through the bundled handler (routing, input rules, the conditional
 * PutItem, its SDK log entry, the request log line and the EMF metrics document, all built
 * and serialised as in Lambda) vs the same PutItem sent directly with the same client
 * settings, both against DynamoDB Local, in interleaved pairs so drift hits both alike.
 *
 * The ratio is handler p50 / direct p50 over every measured pair. The machine this runs on is
 * shared, so one p50 over a few hundred pairs moves by a few hundredths between runs: the
 * pairs are taken in ROUNDS rounds and the note gives the ratio of each round (its spread says
 * how far to trust the second decimal).
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
import { DEFAULT_METRICS_NAMESPACE } from "../lambda-src/metric-names";
import { localClient, startDynamoDbLocal } from "../local/dynamodb-local";
import { localContext, toProxyEvent } from "../local/proxy-event";
import { ensureTables, tableEnv } from "../local/tables";
import type { Bench, BenchRow } from "./types";

const INIT_RUNS = 25;
/** Pairs run first and not counted, so both paths are compiled by V8's optimising tier. */
const WARMUP = 200;
const ROUNDS = 5;
const SAMPLES_PER_ROUND = 200;

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

/**
 * The function environment the stack gives the function (components/shiftline-stack.ts,
 * lambda-service.ts) at its defaults. Without POWERTOOLS_METRICS_NAMESPACE, Powertools writes
 * "Namespace should be defined, default used" to stderr on every publish
 * (@aws-lambda-powertools/metrics `serializeMetrics`), a cost no deployed function pays.
 */
const FUNCTION_ENV = { POWERTOOLS_SERVICE_NAME: "shiftline", POWERTOOLS_METRICS_NAMESPACE: DEFAULT_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL: "INFO" } as const;

interface OverheadSamples {
  /** Milliseconds per measured call, round by round. */
  readonly handler: number[][];
  readonly direct: number[][];
}

/** Times of the bundled handler's POST /todo and of the PutItem it makes, on DynamoDB Local. */
async function overhead(bundle: string): Promise<OverheadSamples> {
  const dynamo = await startDynamoDbLocal();
  const admin = localClient(dynamo.endpoint);
  const savedEnv = { ...process.env };
  const realWrite = process.stdout.write.bind(process.stdout);
  try {
    const tables = { todos: "bench-todos", names: "bench-names" };
    await ensureTables(admin, tables);
    Object.assign(process.env, tableEnv(tables), FUNCTION_ENV, { DYNAMODB_ENDPOINT: dynamo.endpoint, AWS_REGION: "local" });
    // The same client settings the handler uses, so only the handler's own work differs.
    const direct = createDynamoDbClient(process.env);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(bundle) as { handler: Handler };
    // A new context per invocation, as Lambda gives: each has its own request id and its own
    // deadline (one shared context would run out of time after 10 s and abort every call).
    const context = () => localContext({ functionName: "bench", functionVersion: "1", timeoutMs: 10_000 });
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
    const handlerMs: number[][] = [];
    const directMs: number[][] = [];
    const timeHandler = async (i: number) => {
      const viaHandler = event(`h${i}`);
      const invocation = context();
      const start = performance.now();
      const result = await handler(viaHandler, invocation);
      const ms = performance.now() - start;
      if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
      return ms;
    };
    const timeDirect = async (i: number) => {
      const start = performance.now();
      await put(`d${i}`);
      return performance.now() - start;
    };
    for (let i = 0; i < WARMUP + ROUNDS * SAMPLES_PER_ROUND; i++) {
      // Alternate which goes first, so neither always meets a just-warmed connection or JIT.
      const [h, d] = i % 2 === 0 ? [await timeHandler(i), await timeDirect(i)] : [await timeDirect(i), await timeHandler(i)].reverse();
      if (i >= WARMUP) {
        const round = Math.floor((i - WARMUP) / SAMPLES_PER_ROUND);
        (handlerMs[round] ??= []).push(h);
        (directMs[round] ??= []).push(d);
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

    const samples = await overhead(bundle);
    const handler = samples.handler.flat();
    const direct = samples.direct.flat();
    const ratio = percentile(handler, 50) / percentile(direct, 50);
    const perRound = samples.handler.map((h, r) => percentile(h, 50) / percentile(samples.direct[r], 50)).sort((a, b) => a - b);
    rows.push(
      { area: "lambda", metric: "POST /todo via handler p50", value: Math.round(percentile(handler, 50) * 100) / 100, unit: "ms", note: `p95 ${percentile(handler, 95).toFixed(2)} ms, ${handler.length} samples after ${WARMUP} warm-up` },
      { area: "lambda", metric: "direct PutItem p50", value: Math.round(percentile(direct, 50) * 100) / 100, unit: "ms", note: `p95 ${percentile(direct, 95).toFixed(2)} ms, same client settings, DynamoDB Local` },
      {
        area: "lambda",
        metric: "handler overhead (p50 ratio)",
        value: Math.round(ratio * 1000) / 1000,
        unit: "x",
        target: { value: 1.15, better: "lower" },
        note: `handler p50 / direct PutItem p50 over ${handler.length} interleaved pairs; per round of ${SAMPLES_PER_ROUND}: ${perRound.map((r) => r.toFixed(3)).join(" ")}`,
      },
    );
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
