/**
 * `npm run prune -- --stack prod [--keep 5] [--apply]` / `shiftline-prune`: lists the function
 * versions and artifacts that can go, and deletes them only with --apply. Runs with the
 * optional prune grant (prunePolicy in release/aws/actions.ts), never with the deployer role.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { Command, CommanderError } from "commander";
import { ValidationError, renderValue, type Problem } from "../../lib/validation";
import { DEFAULT_RETRY, type CallContext } from "../aws/call";
import { awsErrorMessage, runAsProcess, throttledLine } from "./common";
import { CloudWatchPort } from "../aws/cloudwatch";
import { InventoryPort } from "../aws/inventory";
import { systemClock, type Clock } from "../core/clock";
import { loadOutputs, pulumiStackOutput } from "../inputs/resolve";
import { applyPrune, gatherPrune, gatherRecent, planPrune, renderPlan } from "../ops/prune";
import type { Writable } from "../engine/report";

export const PRUNE_EXIT = { ok: 0, badInput: 2, awsError: 5 } as const;
export const PRUNE_EXIT_HELP: ReadonlyArray<readonly [number, string]> = [
  [0, "listed (and with --apply, deleted what could go; versions Lambda refused to delete are reported as kept)"],
  [2, "bad input (flags, outputs file, stack outputs)"],
  [5, "AWS error or access denied (names the missing IAM action)"],
];

export interface PruneIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly runPulumi: (stack: string) => string | undefined;
  readonly createInventory: (region: string, ctx: CallContext) => InventoryPort;
  /** Lambda's metrics, for which versions an alias ran recently. */
  readonly createCloudWatch: (region: string, ctx: CallContext) => CloudWatchPort;
}

export const processPruneIo = (): PruneIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  clock: systemClock,
  runPulumi: pulumiStackOutput,
  createInventory: (region, ctx) => {
    const config = { region, maxAttempts: 5, retryMode: "adaptive" };
    return new InventoryPort(new LambdaClient(config), new S3Client(config), ctx);
  },
  createCloudWatch: (region, ctx) => new CloudWatchPort(new CloudWatchClient({ region, maxAttempts: 5, retryMode: "adaptive" }), ctx),
});

interface PruneFlags {
  stack?: string;
  outputs?: string;
  function?: string;
  region?: string;
  keep?: string;
  recentMinutes?: string;
  apply?: boolean;
  json?: boolean;
}

export function buildPruneProgram(): Command {
  return new Command("shiftline-prune")
    .description("List the function versions no alias references (primary or weighted), that are not the stack's latest, not among the newest --keep and that no alias ran within --recent-minutes, and the artifacts no kept version uses; delete them only with --apply.")
    .option("-s, --stack <name>", "stack whose outputs to read ('pulumi stack output --json -s <name>')")
    .option("--outputs <file>", "stack outputs as JSON, instead of the pulumi CLI")
    .option("--function <name>", "function name (without outputs, artifacts are not looked at)")
    .option("--region <region>", "AWS region (default: outputs, then AWS_REGION)")
    .option("--keep <n>", "newest published versions always kept [0-1000]", "5")
    .option("--recent-minutes <n>", "keep any version an alias ran in this many minutes of Lambda's metrics, since an alias change reaches every invoker only after a delay AWS does not bound; 0 looks at none [0-1440]", "60")
    .option("--apply", "delete what the list says can go (re-reading the aliases before each version)")
    .option("--json", "print the plan and outcome as JSON on stdout")
    .addHelpText("after", `\nExit codes:\n${PRUNE_EXIT_HELP.map(([c, t]) => `  ${String(c).padStart(3)}  ${t}`).join("\n")}\n\nNeeds the optional prune grant (README: Pruning), not the deployer role.`);
}

export async function pruneMain(argv: readonly string[], io: PruneIo = processPruneIo()): Promise<number> {
  let flags: PruneFlags;
  try {
    flags = buildPruneProgram()
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
      .parse([...argv], { from: "user" })
      .opts<PruneFlags>();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? PRUNE_EXIT.ok : PRUNE_EXIT.badInput;
    throw e;
  }
  const out = flags.json === true ? io.stderr : io.stdout;
  let functionName: string, region: string, keep: number, recentMinutes: number, latestVersion: string | undefined, artifacts: { bucket: string; prefix: string } | undefined;
  try {
    const { outputs } = loadOutputs(flags, io.runPulumi);
    const problems: Problem[] = [];
    const add = (field: string, value: unknown, message: string) => problems.push({ field, value: renderValue(value), message });
    if (flags.keep === undefined || !/^\d+$/.test(flags.keep) || Number(flags.keep) > 1000) add("--keep", flags.keep, "must be a whole number of versions from 0 to 1000, e.g. --keep 5.");
    if (flags.recentMinutes === undefined || !/^\d+$/.test(flags.recentMinutes) || Number(flags.recentMinutes) > 1440) {
      add("--recent-minutes", flags.recentMinutes, "must be a whole number of minutes from 0 to 1440 (a day of Lambda's one-minute metrics), e.g. --recent-minutes 60.");
    }
    if (flags.stack !== undefined && outputs !== undefined && outputs.environment !== flags.stack) add("--stack", flags.stack, `the stack outputs are for environment ${outputs.environment}; pass the matching --stack or outputs file.`);
    // Empty names would reach AWS (FunctionName has a minimum length of 1: https://docs.aws.amazon.com/lambda/latest/dg/API_DeleteAlias.html).
    for (const [flag, value] of [["--function", flags.function], ["--region", flags.region]] as const) {
      if (value !== undefined && value.trim() === "") add(flag, value, `must not be empty: pass a name (or leave ${flag} out to take it from the stack outputs).`);
    }
    const fn = flags.function ?? outputs?.functionName;
    if (fn === undefined) add("--function", undefined, "no stack outputs were found: pass --outputs <file>, --stack <name> with the Pulumi CLI installed, or --function and --region.");
    const r = flags.region ?? outputs?.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    if (r === undefined) add("--region", undefined, "no region: pass --region or set AWS_REGION.");
    if (problems.length > 0 || fn === undefined || r === undefined) throw new ValidationError("prune inputs", problems);
    functionName = fn;
    region = r;
    keep = Number(flags.keep);
    recentMinutes = Number(flags.recentMinutes);
    latestVersion = outputs?.latestVersion;
    artifacts = outputs !== undefined && (flags.function === undefined || flags.function === outputs.functionName) ? { bucket: outputs.artifactBucket, prefix: outputs.artifactKeyPrefix } : undefined;
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    io.stderr.write(`${e.message}\n`);
    if (flags.json === true) io.stdout.write(`${JSON.stringify({ outcome: "bad-input", exitCode: PRUNE_EXIT.badInput, problems: e.problems }, null, 2)}\n`);
    return PRUNE_EXIT.badInput;
  }

  const line = (s: string) => out.write(`${s}\n`);
  const ctx: CallContext = { clock: io.clock, retry: DEFAULT_RETRY, onRetry: (command, attempt, delayMs) => line(throttledLine(command, attempt, delayMs)) };
  const inv = io.createInventory(region, ctx);
  try {
    const listed = await gatherPrune(inv, functionName, artifacts);
    // Which of the versions that could go an alias still ran lately (read for those only).
    const candidates = planPrune(listed, { keep, latestVersion }).deletableVersions;
    const facts =
      recentMinutes > 0 && candidates.length > 0
        ? { ...listed, recent: await gatherRecent(io.createCloudWatch(region, ctx), functionName, listed.aliases.map((a) => a.name), candidates, recentMinutes, new Date(io.clock.now())) }
        : listed;
    const plan = planPrune(facts, { keep, latestVersion });
    for (const l of renderPlan(facts, plan)) line(l);
    const outcome = flags.apply === true ? await applyPrune(inv, facts, plan, line) : undefined;
    if (flags.apply !== true) line("nothing was deleted; run again with --apply to delete what can go.");
    if (flags.json === true) io.stdout.write(`${JSON.stringify({ outcome: flags.apply === true ? "applied" : "listed", exitCode: PRUNE_EXIT.ok, functionName, keep, recentMinutes, latestVersion, plan, applied: outcome }, null, 2)}\n`);
    return PRUNE_EXIT.ok;
  } catch (e) {
    const message = awsErrorMessage(e);
    io.stderr.write(`${message}\n`);
    if (flags.json === true) io.stdout.write(`${JSON.stringify({ outcome: "aws-error", exitCode: PRUNE_EXIT.awsError, message }, null, 2)}\n`);
    return PRUNE_EXIT.awsError;
  }
}

if (require.main === module) {
  runAsProcess(pruneMain(process.argv.slice(2)), PRUNE_EXIT.awsError);
}
