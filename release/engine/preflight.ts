/**
 * Preflight: everything that must hold before the alias is touched. Problems are collected
 * and reported together; an unfinished release on the alias is a conflict, not a problem.
 */
import type { AliasState, LambdaPort, PolicyStatement, VersionInfo } from "../aws/lambda";
import { conflict, gateFailed } from "../core/outcome";
import type { StageOutput } from "../inputs/stack-outputs";

export interface PreflightInput {
  readonly functionName: string;
  readonly alias: string;
  readonly target: string;
  /** Stages that route to this alias; each needs an invoke permission on it. */
  readonly stages: readonly StageOutput[];
  /** true when the schedule has partial steps: the alias must be split between the two versions. */
  readonly weighted: boolean;
  /**
   * true when the 100% step bakes. That bake normally holds the alias weighted (previous primary,
   * target at 1.0), so it needs a pair AWS can weight too; when the pair cannot be weighted and
   * there are no partial steps, the alias is pointed straight at the target instead (`direct`).
   */
  readonly finalHold?: boolean;
  readonly resume: boolean;
}

export type PreflightResult =
  | { readonly kind: "nothing-to-release"; readonly alias: AliasState }
  | {
      readonly kind: "ready";
      readonly alias: AliasState;
      /** The version the alias serves now, and returns to on rollback. */
      readonly previous: string;
      /** Set when resuming: the target's current share of traffic. */
      readonly resumeFromPercent?: number;
      /**
       * The versions cannot share a weighted alias, and the schedule has no partial step: the
       * final bake points the alias wholly at the target instead of holding it at weight 1.0.
       */
      readonly direct: boolean;
      readonly notes: readonly string[];
    };

export async function preflight(lambda: LambdaPort, input: PreflightInput): Promise<PreflightResult> {
  const { functionName, alias: aliasName, target } = input;
  const alias = await lambda.getAlias(functionName, aliasName);
  if (alias === undefined) throw gateFailed(`preflight: alias ${aliasName} does not exist on function ${functionName}; run 'pulumi up' for this stack first.`);

  const split = Object.entries(alias.weights);
  const notes: string[] = [];
  let resumeFromPercent: number | undefined;
  if (split.length > 0) {
    const [splitVersion, percent] = split[0];
    if (splitVersion !== target) {
      throw conflict(
        `alias ${aliasName} already routes ${percent}% to version ${splitVersion} (not the target ${target}): another release is running or was left unfinished. Wait for it, or run again with --abort to put the alias wholly on version ${alias.functionVersion}.`,
      );
    }
    const odd = alias.nonWholeWeights?.[splitVersion];
    if (odd !== undefined && input.resume) {
      throw conflict(
        `alias ${aliasName} routes weight ${odd} to version ${target}, which is not a whole percentage (this CLI writes only whole percentages, so someone else set it); resuming would bake a step that was never planned. Run again with --abort to put the alias wholly on version ${alias.functionVersion}, then release again.`,
      );
    }
    if (!input.resume) {
      throw conflict(
        `an unfinished release of version ${target} is on alias ${aliasName} at ${percent}%. Run again with --resume to continue from ${percent}%, or with --abort to roll back wholly to version ${alias.functionVersion}.`,
      );
    }
    resumeFromPercent = percent;
    notes.push(`resuming the release of version ${target} at ${percent}%`);
  } else if (alias.functionVersion === target) {
    return { kind: "nothing-to-release", alias };
  } else if (input.resume) {
    notes.push(`no unfinished release on alias ${aliasName}; starting from the beginning`);
  }

  const previous = alias.functionVersion;
  const problems: string[] = [];
  const [targetInfo, previousInfo] = await Promise.all([lambda.getVersion(functionName, target), previous === "$LATEST" ? undefined : lambda.getVersion(functionName, previous)]);
  checkTarget(targetInfo, target, problems);
  // Every weighted write is checked here, before the smoke gate: AWS refuses the write itself
  // (exit 5 after smoke) when the pair cannot be weighted, the 1.0 hold of a final bake included.
  const unweightable = input.weighted || input.finalHold === true ? pairProblems(previous, previousInfo, targetInfo) : [];
  const routing = "https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html";
  let direct = false;
  if (input.weighted) {
    for (const why of unweightable) {
      problems.push(`${why} (${routing}); release it with --strategy all-at-once (with a final bake, the alias is then pointed straight at version ${target} and watched); the next release can be gradual again.`);
    }
  } else if (unweightable.length > 0) {
    direct = true;
    notes.push(
      `the final bake cannot hold alias ${aliasName} at weight 1.0 (${unweightable.join("; ")}; ${routing}), so it points the alias straight at version ${target}: ` +
        `it is watched and rolled back the same way, but a run killed during the bake leaves the alias wholly on ${target}, with no unfinished release for --resume or --abort; undo that with --to-version ${previous}.`,
    );
  }

  // One alias, one resource policy: read it once for all the stages that route to the alias.
  const statements = input.stages.length > 0 ? await lambda.policyStatements(functionName, aliasName) : [];
  for (const stage of input.stages) {
    if (!statements.some((s) => allowsApiGateway(s, stage.restApiId, stage.stageName))) {
      problems.push(
        `stage ${stage.stageName} (REST API ${stage.restApiId}) has no permission to invoke ${functionName}:${aliasName}; the alias's resource policy needs lambda:InvokeFunction for apigateway.amazonaws.com with a SourceArn on arn:aws:execute-api:<region>:<account>:${stage.restApiId}/${stage.stageName}/* (run 'pulumi up').`,
      );
    }
  }
  if (problems.length > 0) throw gateFailed(`preflight: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return { kind: "ready", alias, previous, resumeFromPercent, direct, notes };
}

function checkTarget(info: VersionInfo | undefined, target: string, problems: string[]): void {
  if (info === undefined) {
    problems.push(`version ${target} is not published on this function; publish it (pulumi up, or --artifact) or pick another with --to-version.`);
  } else if (info.state !== "Active") {
    problems.push(`version ${target} is ${info.state ?? "in an unknown state"}${info.stateReason !== undefined ? ` (${info.stateReason})` : ""}, not Active; it cannot take traffic.`);
  }
}

/**
 * Why AWS would refuse to weight the alias between the two versions; empty when it can. An alias
 * can be weighted only if "both versions must have the same execution role", "the same dead-letter
 * queue configuration, or no dead-letter queue configuration", and "both versions must be
 * published. The alias cannot point to $LATEST"
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html). The target is
 * always published (--to-version is 1 or more; --artifact publishes a version).
 */
function pairProblems(previous: string, previousInfo: VersionInfo | undefined, targetInfo: VersionInfo | undefined): string[] {
  if (previous === "$LATEST") return ["the alias points to $LATEST, which a weighted alias cannot include"];
  if (previousInfo === undefined || targetInfo === undefined) return [];
  const why: string[] = [];
  if (previousInfo.role !== targetInfo.role) {
    why.push(`version ${targetInfo.version} runs as ${targetInfo.role ?? "(no role)"} but version ${previous} as ${previousInfo.role ?? "(no role)"}, and AWS weights an alias only between versions with the same execution role`);
  }
  if (previousInfo.deadLetterTarget !== targetInfo.deadLetterTarget) {
    why.push(
      `version ${targetInfo.version} sends failed events to ${targetInfo.deadLetterTarget ?? "no dead-letter queue"} but version ${previous} to ${previousInfo.deadLetterTarget ?? "no dead-letter queue"}, and AWS weights an alias only between versions with the same dead-letter queue configuration`,
    );
  }
  return why;
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM ArnLike/StringLike wildcards within one ARN segment: `*` any run of characters, `?` one. */
const segmentMatches = (pattern: string, value: string): boolean => {
  const escaped = pattern.replace(/[.+^$()|[\]{}\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp("^" + escaped + "$").test(value);
};

/**
 * A statement letting API Gateway invoke the alias from this REST API's stage. The SourceArn of
 * an API Gateway invocation is arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html), so the
 * API id and the stage segment must both match. Condition keys are case-insensitive in IAM.
 */
export function allowsApiGateway(s: PolicyStatement, restApiId: string, stageName: string): boolean {
  if ((s.Effect ?? "Allow") !== "Allow") return false;
  if (!asList(s.Action).some((a) => a === "lambda:InvokeFunction" || a === "lambda:*")) return false;
  const principal = typeof s.Principal === "string" ? [s.Principal] : asList(s.Principal?.Service);
  if (!principal.includes("apigateway.amazonaws.com")) return false;
  const sourceArns = Object.values(s.Condition ?? {}).flatMap((c) =>
    Object.entries(c)
      .filter(([key]) => key.toLowerCase() === "aws:sourcearn")
      .flatMap(([, v]) => asList(v)),
  );
  return sourceArns.some((arn) => {
    const parts = arn.split(":");
    if (parts.length < 6 || !segmentMatches(parts[2], "execute-api")) return false;
    const [apiId, stage] = parts.slice(5).join(":").split("/");
    return apiId !== undefined && stage !== undefined && segmentMatches(apiId, restApiId) && segmentMatches(stage, stageName);
  });
}
