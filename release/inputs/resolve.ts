// Wing inputs/: stack outputs, release settings and flags made into one release's inputs, and the plan they give. May import: judge, core.
/**
 * Inputs of a release: the stack outputs (pulumi CLI, `--outputs <file>`, or explicit flags),
 * with flags overriding the stack's release settings. Everything is validated here, once;
 * each problem names the flag or output field, its value, the rule and the fix.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ValidationError, parseOrThrow, renderValue, type Problem } from "../../lib/validation";
import { describeRange, RANGES, releaseSettingsSchema, STRATEGIES, type Range, type ReleaseSettings, type ReleaseSettingsInput } from "./settings";
import { stackOutputsSchema, type RequestMetricsOutput, type StackOutputs, type StageOutput } from "./stack-outputs";

/** Flags as commander hands them over: strings, booleans, string lists. */
export interface CliFlags {
  readonly stack?: string;
  readonly outputs?: string;
  readonly function?: string;
  readonly alias?: string;
  readonly stage?: string;
  readonly region?: string;
  readonly alarm?: readonly string[];
  readonly toVersion?: string;
  readonly strategy?: string;
  readonly canaryPercent?: string;
  readonly linearPercent?: string;
  readonly bake?: string;
  readonly finalBake?: string;
  readonly steps?: string;
  readonly maxErrorRate?: string;
  readonly minInvocations?: string;
  readonly maxThrottles?: string;
  readonly metricDelay?: string;
  readonly checkInterval?: string;
  readonly evidenceDeadline?: string;
  readonly evidenceDelay?: string;
  readonly preReleaseMinutes?: string;
  /** true for --smoke, false for --no-smoke, undefined when neither is given (the stack decides). */
  readonly smoke?: boolean;
  /** false for --no-stage-check (commander sets true when it is not given: the stack decides then). */
  readonly stageCheck?: boolean;
  /** False with --no-live-evidence (commander reports true when the flag is absent). */
  readonly liveEvidence?: boolean;
  readonly codeUpdateTimeout?: string;
  readonly artifact?: string;
  readonly dryRun?: boolean;
  readonly resume?: boolean;
  readonly abort?: boolean;
  readonly json?: boolean;
}

export interface ResolvedInputs {
  /** Where the stack facts came from, for the plan and the report. */
  readonly source: string;
  readonly environment?: string;
  readonly region: string;
  readonly functionName: string;
  readonly alias: string;
  readonly stages: StageOutput[];
  readonly alarmNames: string[];
  readonly settings: ReleaseSettings;
  /** Explicit --to-version, else the stack's latestVersion; undefined in artifact mode. */
  readonly target?: string;
  readonly targetSource: string;
  readonly artifact?: { readonly file: string; readonly bucket: string; readonly keyPrefix: string };
  readonly codeUpdateTimeoutSeconds: number;
  readonly mode: "start" | "resume" | "abort";
  /** Checks that will not run because the input cannot support them. */
  readonly skipped: string[];
  /** From the stack outputs; undefined with explicit flags (Lambda's own metrics are judged then). */
  readonly requestMetrics?: RequestMetricsOutput;
}

/** Reads the stack outputs: `--outputs <file>`, else `pulumi stack output --json -s <stack>` if pulumi is installed. */
export function loadOutputs(flags: CliFlags, runPulumi: (stack: string) => string | undefined = pulumiStackOutput): { outputs?: StackOutputs; source?: string } {
  let raw: string | undefined;
  let source: string | undefined;
  if (flags.outputs !== undefined) {
    try {
      raw = readFileSync(flags.outputs, "utf8");
    } catch (e) {
      throw problem("--outputs", flags.outputs, `cannot read the file (${(e as Error).message}); write it with 'pulumi stack output --json -s <stack> > outputs.json'.`);
    }
    source = `outputs file ${flags.outputs}`;
  } else if (flags.stack !== undefined) {
    raw = runPulumi(flags.stack);
    source = raw === undefined ? undefined : `pulumi stack output -s ${flags.stack}`;
    if (raw === undefined && flags.function === undefined) {
      throw problem("--stack", flags.stack, `the Pulumi CLI is not on PATH, so the stack outputs cannot be read; install it, or pass --outputs <file> written by 'pulumi stack output --json -s ${flags.stack} > outputs.json'.`);
    }
  }
  if (raw === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw problem(flags.outputs !== undefined ? "--outputs" : "--stack", flags.outputs ?? flags.stack, `the stack outputs are not JSON (${(e as Error).message}).`);
  }
  // The stack may export more than the release contract (e.g. the deployer role's ARN); only
  // the contract's keys are read, and those strictly.
  const contract = typeof json === "object" && json !== null && !Array.isArray(json) ? Object.fromEntries(Object.entries(json).filter(([k]) => k in stackOutputsSchema.shape)) : json;
  return { outputs: parseOrThrow(stackOutputsSchema, contract, "stack outputs", "outputs"), source };
}

/** `pulumi stack output --json -s <stack>`, or undefined when the Pulumi CLI is not on PATH. */
export function pulumiStackOutput(stack: string): string | undefined {
  try {
    return execFileSync("pulumi", ["stack", "output", "--json", "-s", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw problem("--stack", stack, `'pulumi stack output --json -s ${stack}' failed (${(e as Error).message.split("\n")[0]}); check the stack name and that you are logged in, or pass --outputs <file>.`);
  }
}

/** --code-update-timeout: below 5 s the SDK waiter would not poll even twice (it starts at 2 s). */
const CODE_UPDATE_TIMEOUT: Range = { min: 5, unit: "seconds" };

/**
 * The range each numeric flag accepts. --help prints it beside the flag and the README's flag
 * table states it (tests/release/cli/cli.test.ts checks both against what the validation accepts).
 */
export const FLAG_RANGES: Readonly<Record<string, string>> = {
  "--to-version": "1 or more",
  "--canary-percent": describeRange(RANGES.percent),
  "--linear-percent": describeRange(RANGES.percent),
  "--bake": describeRange(RANGES.bakeSeconds),
  "--final-bake": describeRange(RANGES.bakeSeconds),
  "--steps": `at most ${RANGES.steps.max} steps, each ${describeRange(RANGES.percent)} in increasing order, with a bake of ${describeRange(RANGES.bakeSeconds)}`,
  "--max-error-rate": describeRange(RANGES.maxErrorRatePercent),
  "--min-invocations": describeRange(RANGES.minInvocations),
  "--max-throttles": describeRange(RANGES.maxThrottles),
  "--metric-delay": describeRange(RANGES.metricDelaySeconds),
  "--check-interval": describeRange(RANGES.checkIntervalSeconds),
  "--evidence-deadline": describeRange(RANGES.evidenceDeadlineSeconds),
  "--evidence-delay": describeRange(RANGES.evidenceDelaySeconds),
  "--pre-release-minutes": describeRange(RANGES.preReleaseMinutes),
  "--code-update-timeout": describeRange(CODE_UPDATE_TIMEOUT),
};

const wholeNumber = (flag: string, what: string) =>
  z
    .string()
    .regex(/^\d+$/, { error: `${flag} must be ${what}.` })
    .transform(Number)
    .refine(Number.isSafeInteger, { error: `${flag} is too large; the range is ${FLAG_RANGES[flag]}.` });
const decimal = (flag: string) => z.string().regex(/^\d+(\.\d+)?$/, { error: `${flag} must be a number such as 1 or 0.5.` }).transform(Number);

const flagsSchema = z.object({
  toVersion: wholeNumber("--to-version", "a published version number such as 7")
    .refine((n) => n >= 1, { error: "--to-version must be 1 or more: published versions start at 1 ($LATEST cannot be released)." })
    .transform(String)
    .optional(),
  strategy: z.enum(STRATEGIES, { error: `--strategy must be one of ${STRATEGIES.join(", ")}.` }).optional(),
  canaryPercent: wholeNumber("--canary-percent", "a whole percentage 1-99").optional(),
  linearPercent: wholeNumber("--linear-percent", "a whole percentage 1-99").optional(),
  bake: wholeNumber("--bake", "a whole number of seconds").optional(),
  finalBake: wholeNumber("--final-bake", "a whole number of seconds").optional(),
  steps: z
    .string()
    .regex(/^\d+:\d+(,\d+:\d+)*$/, { error: "--steps must be percent:bakeSeconds pairs separated by commas, e.g. 5:60,25:120,50:300." })
    .transform((s) => s.split(",").map((pair) => ({ percent: Number(pair.split(":")[0]), bakeSeconds: Number(pair.split(":")[1]) })))
    .optional(),
  maxErrorRate: decimal("--max-error-rate").optional(),
  minInvocations: wholeNumber("--min-invocations", "a whole number").optional(),
  maxThrottles: wholeNumber("--max-throttles", "a whole number").optional(),
  metricDelay: wholeNumber("--metric-delay", "a whole number of seconds").optional(),
  checkInterval: wholeNumber("--check-interval", "a whole number of seconds").optional(),
  evidenceDeadline: wholeNumber("--evidence-deadline", "a whole number of seconds").optional(),
  evidenceDelay: wholeNumber("--evidence-delay", "a whole number of seconds").optional(),
  preReleaseMinutes: wholeNumber("--pre-release-minutes", "a whole number of minutes").optional(),
  smoke: z.boolean().optional(),
  stageCheck: z.boolean().optional(),
  liveEvidence: z.boolean().optional(),
  codeUpdateTimeout: wholeNumber("--code-update-timeout", "a whole number of seconds")
    .refine((n) => n >= CODE_UPDATE_TIMEOUT.min, { error: `--code-update-timeout must be at least ${CODE_UPDATE_TIMEOUT.min} seconds.` })
    .optional(),
});

const FLAG_FOR_FIELD: Record<string, string> = {
  toVersion: "--to-version",
  strategy: "--strategy",
  canaryPercent: "--canary-percent",
  linearPercent: "--linear-percent",
  linearStepPercent: "--linear-percent",
  bake: "--bake",
  stepBakeSeconds: "--bake",
  finalBake: "--final-bake",
  finalBakeSeconds: "--final-bake",
  steps: "--steps",
  maxErrorRate: "--max-error-rate",
  maxErrorRatePercent: "--max-error-rate",
  minInvocations: "--min-invocations",
  maxThrottles: "--max-throttles",
  metricDelay: "--metric-delay",
  metricDelaySeconds: "--metric-delay",
  checkInterval: "--check-interval",
  checkIntervalSeconds: "--check-interval",
  evidenceDeadline: "--evidence-deadline",
  evidenceDeadlineSeconds: "--evidence-deadline",
  evidenceDelay: "--evidence-delay",
  evidenceDelaySeconds: "--evidence-delay",
  preReleaseMinutes: "--pre-release-minutes",
  codeUpdateTimeout: "--code-update-timeout",
  smoke: "--smoke / --no-smoke",
  stageCheck: "--no-stage-check",
  liveEvidence: "--no-live-evidence",
};

/** Merges outputs and flags into what one run needs; throws a ValidationError listing every problem. */
export function resolveInputs(flags: CliFlags, loaded: { outputs?: StackOutputs; source?: string }, env: NodeJS.ProcessEnv = process.env): ResolvedInputs {
  const problems: Problem[] = [];
  const add = (field: string, value: unknown, message: string) => problems.push({ field, value: renderValue(value), message });
  const parsedFlags = flagsSchema.safeParse(flags, { reportInput: true });
  if (!parsedFlags.success) {
    for (const issue of parsedFlags.error.issues) add(FLAG_FOR_FIELD[String(issue.path[0])] ?? String(issue.path[0]), issue.input, issue.message);
    throw new ValidationError("release flags", problems);
  }
  const f = parsedFlags.data;
  const outputs = loaded.outputs;
  const skipped: string[] = [];

  if (flags.resume === true && flags.abort === true) add("--resume", true, "--resume and --abort exclude each other; pick one.");
  if (flags.abort === true) {
    // --abort undoes whatever split is on the alias; a target or a schedule would be silently ignored.
    const ignored: Array<[string, unknown]> = [
      ["--to-version", flags.toVersion],
      ["--artifact", flags.artifact],
      ["--strategy", flags.strategy],
      ["--steps", flags.steps],
      ["--canary-percent", flags.canaryPercent],
      ["--linear-percent", flags.linearPercent],
      ["--bake", flags.bake],
      ["--final-bake", flags.finalBake],
    ];
    for (const [flag, value] of ignored) if (value !== undefined) add(flag, value, `--abort puts the alias wholly back on its primary version and takes no target or schedule; drop ${flag} (to release another version afterwards, run without --abort).`);
  }
  if (f.steps !== undefined && f.strategy !== undefined && f.strategy !== "custom") {
    add("--steps", flags.steps, `--steps gives custom steps, but --strategy is ${f.strategy}; drop --strategy (--steps implies custom) or drop --steps.`);
  }
  if (flags.artifact !== undefined && f.toVersion !== undefined) add("--to-version", f.toVersion, "--artifact publishes the version to release; drop --to-version, or drop --artifact to release an existing version.");
  if (flags.stack !== undefined && outputs !== undefined && outputs.environment !== flags.stack) {
    add("--stack", flags.stack, `the stack outputs are for environment ${outputs.environment}; pass the matching --stack or outputs file.`);
  }

  // An empty name would reach AWS as an empty path segment (Lambda's FunctionName and alias Name have a minimum length of 1:
  // https://docs.aws.amazon.com/lambda/latest/dg/API_DeleteAlias.html, as in every alias API); refused here with the flag named.
  for (const [flag, value] of [["--function", flags.function], ["--alias", flags.alias], ["--region", flags.region]] as const) {
    if (value !== undefined && value.trim() === "") add(flag, value, `must not be empty: pass a name (or leave ${flag} out to take it from the stack outputs).`);
  }
  const functionName = flags.function ?? outputs?.functionName;
  if (functionName === undefined) {
    // --abort (and status, which resolves as --abort does) take no target: naming --to-version there would be wrong.
    add("--function", undefined, `no stack outputs were found: pass --outputs <file>, install the Pulumi CLI and pass --stack <name>, or give --function, --alias${flags.abort === true ? " and --region" : ", --region and --to-version"}.`);
  }
  const region = flags.region ?? outputs?.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined) add("--region", undefined, "no region: pass --region or set AWS_REGION.");

  // Stage and alias: --stage picks a stage (and its alias); --alias picks directly; one alias needs neither.
  let alias = flags.alias;
  let stages: StageOutput[] = [];
  if (flags.stage !== undefined) {
    const stage = outputs?.stages[flags.stage];
    if (stage === undefined) add("--stage", flags.stage, `no such stage; stages: ${Object.keys(outputs?.stages ?? {}).join(", ") || "(none in the outputs)"}.`);
    else if (alias !== undefined && alias !== stage.alias) add("--alias", alias, `stage ${flags.stage} routes to alias ${stage.alias}; drop --alias or pick the matching stage.`);
    else alias = stage.alias;
  }
  if (alias === undefined && outputs !== undefined) {
    if (outputs.aliases.length === 1) alias = outputs.aliases[0];
    else add("--stage", undefined, `the stack has several aliases (${outputs.aliases.join(", ")}); pick one with --stage ${Object.keys(outputs.stages).join("|")} or --alias.`);
  } else if (alias === undefined && functionName !== undefined) {
    add("--alias", undefined, "pass the alias, e.g. --alias live.");
  }
  if (alias !== undefined && outputs !== undefined) {
    if (!outputs.aliases.includes(alias)) add("--alias", alias, `not an alias of this stack; pick one of ${outputs.aliases.join(", ")} with --alias, or its stage with --stage.`);
    stages = Object.values(outputs.stages).filter((s) => s.alias === alias);
  }
  if (outputs === undefined) skipped.push("stage invoke permission: no stack outputs, so no stages are known");
  if (outputs === undefined && flags.stageCheck !== false && flags.abort !== true) skipped.push("stage check: no stack outputs (explicit flags), so no stage URL is known and no request goes through API Gateway");

  const alarmNames = flags.alarm !== undefined && flags.alarm.length > 0 ? [...flags.alarm] : alias !== undefined ? (outputs?.alarmNames[alias] ?? []) : [];

  let artifact: ResolvedInputs["artifact"];
  if (flags.artifact !== undefined) {
    if (outputs === undefined) add("--artifact", flags.artifact, "artifact mode needs the stack outputs (artifact bucket and prefix); pass --outputs or --stack.");
    else if (outputs.codeDeployment !== "release") {
      add("--artifact", flags.artifact, `stack ${outputs.environment} deploys code with pulumi (codeDeployment: pulumi), so 'pulumi up' would undo it; set codeDeployment: release in the stack config first.`);
    } else artifact = { file: flags.artifact, bucket: outputs.artifactBucket, keyPrefix: outputs.artifactKeyPrefix };
  }

  let target = f.toVersion;
  let targetSource = "--to-version";
  if (target === undefined && artifact === undefined && flags.abort !== true) {
    if (outputs?.codeDeployment === "release" && flags.artifact === undefined) {
      // In artifact mode Pulumi ignores the function's code, so its latestVersion output is the
      // version `pulumi up` last published, not the ones the release step published since:
      // defaulting to it could move the alias back to an older version.
      add(
        "--to-version",
        undefined,
        `stack ${outputs.environment} deploys its code with the release step (codeDeployment: release), so its latestVersion output (${outputs.latestVersion}) does not know the versions --artifact published and may be older than what the alias serves. Pass --artifact <zip> to publish and release new code, or --to-version N to release (or roll back to) a version you name.`,
      );
    } else {
      target = outputs?.latestVersion;
      targetSource = "latestVersion of the stack outputs";
      if (target === undefined && functionName !== undefined) add("--to-version", undefined, "without stack outputs, name the version to release with --to-version N.");
    }
  }
  if (artifact !== undefined) targetSource = "the version published from --artifact";

  const settings = overrideSettings(outputs?.release, f, problems);
  for (const name of settings?.stageCheck.privateStages ?? []) {
    if (outputs !== undefined && !(name in outputs.stages)) {
      add("outputs.release.stageCheck.privateStages", name, `no such stage (stages: ${Object.keys(outputs.stages).join(", ") || "none"}); remove it from shiftline:release.stageCheck.privateStages or fix the name.`);
    }
  }
  if (problems.length > 0 || functionName === undefined || region === undefined || alias === undefined || settings === undefined) throw new ValidationError("release inputs", problems);

  return {
    source: loaded.source ?? "flags",
    environment: outputs?.environment,
    region,
    functionName,
    alias,
    stages,
    alarmNames,
    settings,
    target,
    targetSource,
    artifact,
    codeUpdateTimeoutSeconds: f.codeUpdateTimeout ?? 300,
    mode: flags.abort === true ? "abort" : flags.resume === true ? "resume" : "start",
    skipped,
    requestMetrics: outputs?.requestMetrics,
  };
}

type ParsedFlags = z.output<typeof flagsSchema>;

/** The stack's release settings with flag overrides applied, validated by the shared schema. */
function overrideSettings(base: ReleaseSettings | undefined, f: ParsedFlags, problems: Problem[]): ReleaseSettings | undefined {
  const input: ReleaseSettingsInput = { ...(base ?? {}), health: { ...(base?.health ?? {}) } };
  if (f.steps !== undefined) {
    input.strategy = "custom";
    input.steps = f.steps;
  }
  if (f.strategy !== undefined) input.strategy = f.strategy;
  if (input.strategy !== "custom") delete input.steps;
  if (f.canaryPercent !== undefined) input.canaryPercent = f.canaryPercent;
  if (f.linearPercent !== undefined) input.linearStepPercent = f.linearPercent;
  if (f.bake !== undefined) input.stepBakeSeconds = f.bake;
  if (f.finalBake !== undefined) input.finalBakeSeconds = f.finalBake;
  if (f.smoke !== undefined) input.smoke = f.smoke;
  // Only the flag's "off" overrides the stack (commander reports true when --no-stage-check is absent).
  if (f.stageCheck === false) input.stageCheck = { ...(input.stageCheck ?? {}), enabled: false };
  const health = { ...input.health };
  if (f.maxErrorRate !== undefined) health.maxErrorRatePercent = f.maxErrorRate;
  if (f.minInvocations !== undefined) health.minInvocations = f.minInvocations;
  if (f.maxThrottles !== undefined) health.maxThrottles = f.maxThrottles;
  if (f.metricDelay !== undefined) health.metricDelaySeconds = f.metricDelay;
  if (f.checkInterval !== undefined) health.checkIntervalSeconds = f.checkInterval;
  if (f.evidenceDeadline !== undefined) health.evidenceDeadlineSeconds = f.evidenceDeadline;
  if (f.evidenceDelay !== undefined) health.evidenceDelaySeconds = f.evidenceDelay;
  if (f.preReleaseMinutes !== undefined) health.preReleaseMinutes = f.preReleaseMinutes;
  if (f.liveEvidence === false) health.liveEvidence = false;
  input.health = health;
  try {
    return parseOrThrow(releaseSettingsSchema, input, "release settings", "release");
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const given = new Set(Object.entries(f).filter(([, v]) => v !== undefined).map(([k]) => FLAG_FOR_FIELD[k]));
    for (const p of e.problems) {
      const flag = FLAG_FOR_FIELD[/^release(?:\.health)?\.(\w+)/.exec(p.field)?.[1] ?? ""];
      problems.push({ ...p, field: flag !== undefined && given.has(flag) ? `${flag} (${p.field})` : `outputs.${p.field}` });
    }
    return undefined;
  }
}

function problem(field: string, value: unknown, message: string): ValidationError {
  return new ValidationError("release inputs", [{ field, value: renderValue(value), message }]);
}
