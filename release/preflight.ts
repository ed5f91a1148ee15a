/**
 * Preflight: everything that must hold before the alias is touched. Problems are collected
 * and reported together; an unfinished release on the alias is a conflict, not a problem.
 */
import type { AliasState, LambdaPort, PolicyStatement, VersionInfo } from "./aws/lambda";
import { conflict, gateFailed } from "./outcome";
import type { StageOutput } from "./stack-outputs";

export interface PreflightInput {
  readonly functionName: string;
  readonly alias: string;
  readonly target: string;
  /** Stages that route to this alias; each needs an invoke permission on it. */
  readonly stages: readonly StageOutput[];
  /** true when the schedule has partial steps, i.e. the alias will carry weights. */
  readonly weighted: boolean;
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
  if (input.weighted) checkPair(previous, previousInfo, targetInfo, problems);

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
  return { kind: "ready", alias, previous, resumeFromPercent, notes };
}

function checkTarget(info: VersionInfo | undefined, target: string, problems: string[]): void {
  if (info === undefined) {
    problems.push(`version ${target} is not published on this function; publish it (pulumi up, or --artifact) or pick another with --to-version.`);
  } else if (info.state !== "Active") {
    problems.push(`version ${target} is ${info.state ?? "in an unknown state"}${info.stateReason !== undefined ? ` (${info.stateReason})` : ""}, not Active; it cannot take traffic.`);
  }
}

/** Weighted aliases need two published versions with the same role and DLQ (configuring-alias-routing). */
function checkPair(previous: string, previousInfo: VersionInfo | undefined, targetInfo: VersionInfo | undefined, problems: string[]): void {
  if (previous === "$LATEST") {
    problems.push("the alias points to $LATEST, which a weighted alias cannot split from; release with --strategy all-at-once once, then gradual releases work.");
    return;
  }
  if (previousInfo === undefined || targetInfo === undefined) return;
  if (previousInfo.role !== targetInfo.role) {
    problems.push(
      `version ${targetInfo.version} runs as ${targetInfo.role ?? "(no role)"} but version ${previous} as ${previousInfo.role ?? "(no role)"}; AWS only splits an alias between versions with the same execution role (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html). Use --strategy all-at-once.`,
    );
  }
  if (previousInfo.deadLetterTarget !== targetInfo.deadLetterTarget) {
    problems.push(`versions ${previous} and ${targetInfo.version} have different dead-letter queues; AWS only splits an alias between versions with the same one. Use --strategy all-at-once.`);
  }
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
