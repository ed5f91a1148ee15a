/**
 * Infrastructure: how long the whole program takes to evaluate under mocks for each stack
 * (what every infra test, and `pulumi preview` before it talks to AWS, pays), and what it
 * creates. "with build" re-requires the program and builds lambda-src, as `pulumi up` does;
 * "prebuilt" deploys a manifest from one earlier build (`shiftline:artifactManifest`).
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Bench, BenchRow } from "./types";
import { buildFunctions } from "../lambda-src/build";
import { evaluateProgram, REPO_ROOT, STACKS } from "../tests/infra/program";

const RUNS = 5;
const TARGET = { value: 3, better: "lower" as const };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function seconds(stack: string, overrides: Record<string, string> = {}): Promise<number> {
  const start = performance.now();
  await evaluateProgram(stack, overrides);
  return (performance.now() - start) / 1000;
}

const bench: Bench = async () => {
  const rows: BenchRow[] = [];
  const cold = await seconds(STACKS[0]);
  rows.push({ area: "infra", metric: `${STACKS[0]} evaluation, cold`, value: cold, unit: "s", target: TARGET, note: "first in the process: also loads @pulumi/pulumi, @pulumi/aws, esbuild" });

  const outDir = join(REPO_ROOT, ".build", "bench");
  buildFunctions({ outDir });
  const prebuilt = { "shiftline:artifactManifest": join(outDir, "manifest.json") };
  for (const stack of STACKS) {
    const withBuild: number[] = [];
    const fromManifest: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      withBuild.push(await seconds(stack));
      fromManifest.push(await seconds(stack, prebuilt));
    }
    rows.push({ area: "infra", metric: `${stack} evaluation with build`, value: median(withBuild), unit: "s", target: TARGET, note: `median of ${RUNS}; program re-required, lambda-src rebuilt` });
    rows.push({ area: "infra", metric: `${stack} evaluation, prebuilt`, value: median(fromManifest), unit: "s", target: TARGET, note: `median of ${RUNS}; program re-required, manifest read` });
    const { resources } = await evaluateProgram(stack, prebuilt);
    const custom = resources.filter((r) => r.custom && r.type.startsWith("aws:"));
    rows.push({ area: "infra", metric: `${stack} AWS resources`, value: custom.length, unit: "resources", note: `plus ${resources.filter((r) => !r.custom).length} components and the AWS provider` });
  }
  return rows;
};

export default bench;
