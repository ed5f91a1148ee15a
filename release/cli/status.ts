/**
 * `npm run status -- --stack prod` / `shiftline-status`: what an alias serves right now and what
 * a release would do with it. Reads only; takes the same stack inputs as `release`.
 */
import { Command, CommanderError } from "commander";
import { ValidationError } from "../../lib/validation";
import { awsErrorMessage, runAsProcess, throttledLine } from "./common";
import { createAwsPorts } from "../aws/clients";
import type { CliIo } from "./release";
import { systemClock } from "../core/clock";
import { loadOutputs, pulumiStackOutput, resolveInputs, type CliFlags } from "../inputs/resolve";
import { gatherStatus, judgeStatus, renderStatus, type StatusView } from "../ops/status";

export const STATUS_EXIT = { ok: 0, badInput: 2, noAlias: 3, split: 4, awsError: 5 } as const;
export const STATUS_EXIT_HELP: ReadonlyArray<readonly [number, string]> = [
  [0, "read: the alias is wholly on one version (a 0.0 weight or an alarm in ALARM is reported, not an exit code)"],
  [2, "bad input (flags, outputs file, stack outputs)"],
  [3, "the alias does not exist"],
  [4, "the alias is split: an unfinished release (see --resume/--abort), or Lambda's provisioned-concurrency transition"],
  [5, "AWS error or access denied (names the missing IAM action)"],
];

export type StatusIo = Pick<CliIo, "stdout" | "stderr" | "env" | "clock" | "createPorts" | "runPulumi">;

export const processStatusIo = (): StatusIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, clock: systemClock, createPorts: createAwsPorts, runPulumi: pulumiStackOutput });

type StatusFlags = Pick<CliFlags, "stack" | "outputs" | "function" | "alias" | "stage" | "region" | "alarm" | "json"> & { minutes?: string };

export function buildStatusProgram(): Command {
  return new Command("shiftline-status")
    .description("Show an alias's versions and weights, RevisionId, unfinished release, provisioned concurrency, alarms and each serving version's recent requests, 5xx and latency. Changes nothing.")
    .option("-s, --stack <name>", "stack (environment); its outputs come from 'pulumi stack output --json -s <name>'")
    .option("--outputs <file>", "stack outputs as JSON (pulumi stack output --json), instead of the pulumi CLI")
    .option("--function <name>", "function name (explicit inputs, or to override the outputs)")
    .option("--alias <name>", "alias to show (default: the stack's only alias)")
    .option("--stage <name>", "pick the alias through a stage, when the stack has several")
    .option("--region <region>", "AWS region (default: outputs, then AWS_REGION)")
    .option("--alarm <name...>", "CloudWatch alarm(s) to show instead of the stack's")
    .option("--minutes <n>", "minutes of request metrics to show [1-180]", "15")
    .option("--json", "print the status as JSON on stdout")
    .addHelpText("after", `\nExit codes:\n${STATUS_EXIT_HELP.map(([c, t]) => `  ${String(c).padStart(3)}  ${t}`).join("\n")}`);
}

export function statusExit(v: StatusView): number {
  if (!v.found) return STATUS_EXIT.noAlias;
  return v.split === "unfinished-release" || v.split === "provisioned-transition" ? STATUS_EXIT.split : STATUS_EXIT.ok;
}

export async function statusMain(argv: readonly string[], io: StatusIo = processStatusIo()): Promise<number> {
  let flags: StatusFlags;
  try {
    flags = buildStatusProgram()
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
      .parse([...argv], { from: "user" })
      .opts<StatusFlags>();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? STATUS_EXIT.ok : STATUS_EXIT.badInput;
    throw e;
  }
  const badInput = (message: string, problems: unknown) => {
    io.stderr.write(`${message}\n`);
    if (flags.json === true) io.stdout.write(`${JSON.stringify({ outcome: "bad-input", exitCode: STATUS_EXIT.badInput, message, problems }, null, 2)}\n`);
    return STATUS_EXIT.badInput;
  };
  const minutes = Number(flags.minutes);
  if (flags.minutes === undefined || !/^\d+$/.test(flags.minutes) || minutes < 1 || minutes > 180) {
    // 180: high-resolution datapoints are kept for three hours; the p50/p99 over one period need them no longer.
    return badInput(`--minutes = ${JSON.stringify(flags.minutes)}: must be a whole number of minutes from 1 to 180, e.g. --minutes 15.`, [{ field: "--minutes", value: flags.minutes }]);
  }
  let inputs, outputs;
  try {
    const loaded = loadOutputs(flags, io.runPulumi);
    outputs = loaded.outputs;
    // Status has no target: resolve as --abort does, the one mode that takes none (so an
    // artifact-mode stack needs no --to-version here).
    inputs = resolveInputs({ ...flags, abort: true }, loaded, io.env);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return badInput(e.message, e.problems);
  }
  const out = flags.json === true ? io.stderr : io.stdout;
  const scope = {
    functionName: inputs.functionName,
    alias: inputs.alias,
    alarmNames: inputs.alarmNames,
    latestVersion: outputs?.latestVersion,
    artifactMode: outputs?.codeDeployment === "release",
    requestMetrics: inputs.requestMetrics,
    minutes,
  };
  try {
    const aws = io.createPorts(inputs.region, io.clock, (command, attempt, delayMs) => out.write(`${throttledLine(command, attempt, delayMs)}\n`));
    const view = judgeStatus(await gatherStatus(aws, scope, io.clock.now()), scope);
    for (const l of renderStatus(view, minutes)) out.write(`${l}\n`);
    const exitCode = statusExit(view);
    if (flags.json === true) io.stdout.write(`${JSON.stringify({ exitCode, minutes, ...view }, null, 2)}\n`);
    return exitCode;
  } catch (e) {
    const message = awsErrorMessage(e);
    io.stderr.write(`${message}\n`);
    if (flags.json === true) io.stdout.write(`${JSON.stringify({ outcome: "aws-error", exitCode: STATUS_EXIT.awsError, message }, null, 2)}\n`);
    return STATUS_EXIT.awsError;
  }
}

if (require.main === module) {
  runAsProcess(statusMain(process.argv.slice(2)), STATUS_EXIT.awsError);
}
