/**
 * Evaluates the whole program (index.ts) for one stack under mocks, with the config the CLI
 * would pass from `Pulumi.<stack>.yaml`. Each run gets fresh copies of the repo's modules, so
 * stacks are evaluated in isolation within one process. Shared by the tests and the benchmark.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { evaluate, type Evaluation } from "./mocks";

export const REPO_ROOT = resolve(__dirname, "..", "..");
export const STACKS = ["staging", "prod"] as const;
export type StackName = (typeof STACKS)[number];

/** The `config:` map of `Pulumi.<stack>.yaml`, flattened as the CLI hands it to the program (objects as JSON). */
export function readStackConfig(stack: string): Record<string, string> {
  const file = join(REPO_ROOT, `Pulumi.${stack}.yaml`);
  const doc = parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc?.config ?? {})) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}

/** Forgets every repo module (not node_modules), so the next require re-runs the program. */
export function forgetProgramModules(): void {
  for (const id of Object.keys(require.cache)) {
    if (id.startsWith(REPO_ROOT) && !id.includes(`${join(REPO_ROOT, "node_modules")}`) && !id.startsWith(join(REPO_ROOT, "tests"))) delete require.cache[id];
  }
}

/** Evaluates index.ts for `stack`; `overrides` replace individual config keys. */
export async function evaluateProgram(stack: string, overrides: Record<string, string> = {}): Promise<Evaluation<Record<string, unknown>>> {
  const config = { ...readStackConfig(stack), ...overrides };
  const region = config["aws:region"] ?? "eu-west-1";
  forgetProgramModules();
  return evaluate(
    stack,
    config,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    () => ({ ...(require(join(REPO_ROOT, "index")) as Record<string, unknown>) }),
    region,
  );
}
