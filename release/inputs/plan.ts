/** The plan a release would follow, printed by `--dry-run` (and at the start of a real run). */
import { formatDuration } from "../core/clock";
import type { ResolvedInputs } from "./resolve";
import { planSchedule, scheduleSeconds, toAwsWeight } from "../core/schedule";

/** Checks a dry run cannot make, because it sends nothing to AWS. */
export const DRY_RUN_SKIPPED = [
  "alias state (GetAlias): current version, weights, unfinished release",
  "target version published and Active; for a weighted step or hold, the current version is not $LATEST and has the same execution role and DLQ",
  "stage invoke permission on the alias (GetPolicy)",
  "smoke invocations of the target version",
  "alarm states and metrics",
];

/** The dry run's list of what it did not check, for these inputs. */
export function dryRunSkipped(inputs: ResolvedInputs): string[] {
  if (inputs.mode === "abort") return ["alias state (GetAlias): whether an unfinished release is on the alias", ...inputs.skipped];
  const checks = inputs.settings.smoke ? DRY_RUN_SKIPPED : DRY_RUN_SKIPPED.filter((c) => !c.startsWith("smoke"));
  const stages = stageCheckPlan(inputs).checked;
  const stageCheck = stages.length > 0 ? [`stage check: no request was sent through ${stages.map((st) => st.stageName).join(", ")}`] : [];
  return [...checks, ...stageCheck, ...(inputs.artifact !== undefined ? ["artifact upload, code update and publish"] : []), ...inputs.skipped];
}

export function renderPlan(inputs: ResolvedInputs): string[] {
  if (inputs.mode === "abort") {
    return [
      `plan for ${inputs.environment ?? "(no stack)"}: ${inputs.functionName}:${inputs.alias} in ${inputs.region}`,
      `  inputs: ${inputs.source}`,
      "  mode: abort",
      "  1. read the alias (GetAlias); if it carries no weights there is nothing to abort",
      "  2. otherwise put it wholly on its primary version, weights cleared (UpdateAlias with the RevisionId just read), and read it back",
      "  no smoke gate and no health checks: nothing new gets traffic",
    ];
  }
  const s = inputs.settings;
  const h = s.health;
  const steps = planSchedule(s);
  let elapsed = 0;
  const evidence = inputs.requestMetrics !== undefined;
  const rows = steps.map((step, i) => {
    // On evidence a bake is a minimum: a step ends when the evidence decides, at its deadline at the latest.
    const judged = step.bakeSeconds > 0 ? (evidence ? step.bakeSeconds : step.bakeSeconds + h.metricDelaySeconds) : 0;
    elapsed += judged;
    const weights =
      step.percent < 100
        ? `AdditionalVersionWeights {target: ${toAwsWeight(step.percent)}}`
        : step.bakeSeconds > 0
          ? `AdditionalVersionWeights {target: 1} for the bake, then alias → target, weights cleared${steps.length === 1 ? " (if the two versions cannot share a weighted alias: alias → target for the bake, no hold)" : ""}`
          : "alias → target, weights cleared";
    return `  ${String(i + 1).padStart(2)}. ${String(step.percent).padStart(3)}%  bake ${formatDuration(step.bakeSeconds).padEnd(7)} ${weights}  (done by ~${formatDuration(elapsed)})`;
  });
  const stageList = inputs.stages.map((st) => `${st.stageName} (${st.restApiId})`).join(", ") || "none known";
  return [
    `plan for ${inputs.environment ?? "(no stack)"}: ${inputs.functionName}:${inputs.alias} in ${inputs.region}`,
    `  inputs: ${inputs.source}`,
    `  target: ${inputs.artifact !== undefined ? `the version published from ${inputs.artifact.file} (s3://${inputs.artifact.bucket}/${inputs.artifact.keyPrefix}<sha256>.zip)` : `version ${inputs.target ?? "?"} (${inputs.targetSource})`}`,
    `  mode: ${inputs.mode}`,
    `  stages routing to the alias: ${stageList}`,
    `  strategy: ${s.strategy}, ${steps.length} step${steps.length === 1 ? "" : "s"}, at least ${formatDuration(scheduleSeconds(steps))} of bake`,
    ...rows,
    ...(steps.some((st) => st.percent < 100) && !evidence ? [`  each partial step must see ${h.minInvocations} invocations of the target to be judged, or it is rolled back`] : []),
    ...(evidence && scheduleSeconds(steps) > 0
      ? [
          `  bakes are minimums: a step rolls back as soon as the evidence shows harm, advances once it shows health and its bake has passed, and rolls back ${formatDuration(h.evidenceDeadlineSeconds)} after its start without evidence${h.decision.promoteWithoutEvidence ? " (advances instead: promoteWithoutEvidence)" : ""}; the first step is raised where the traffic before the release is too low to show health in its bake`,
        ]
      : []),
    `  smoke gate: ${s.smoke ? "on (events from lambda-src/smoke-events.ts, each must return 2xx)" : "off"}`,
    `  stage check: ${stageCheckPlan(inputs).line}`,
    ...(evidence && scheduleSeconds(steps) > 0 ? [`  sources: ${evidenceSources(inputs)}`] : []),
    scheduleSeconds(steps) === 0
      ? "  health: not watched (no bake time); set finalBakeSeconds or pass --final-bake <seconds> to watch after promotion"
      : evidence
        ? `  health: on evidence from the function's request metrics (${inputs.requestMetrics?.namespace ?? ""}) per version, against the previous version and its ${h.preReleaseMinutes} minutes before the release: server errors, Lambda Errors and requests slower than its p99 (alpha ${h.decision.alpha}, beta ${h.decision.beta}, tolerance ×${1 + h.decision.relativeTolerance}); throttles beyond the alias's pre-release rate roll back; an alarm (${inputs.alarmNames.join(", ") || "none configured"}) holds a step until the target is shown healthy; checked every ${h.checkIntervalSeconds}s`
        : `  health: rollback if an alarm fires (${inputs.alarmNames.join(", ") || "none configured"}), if the target's error rate exceeds the previous version's by more than ${h.maxErrorRatePercent} point${h.maxErrorRatePercent === 1 ? "" : "s"} (judged after ${h.minInvocations} invocations), or on more than ${h.maxThrottles} throttles beyond the alias's pre-release rate; checked every ${h.checkIntervalSeconds}s, each step judged ${h.metricDelaySeconds}s after its bake for metric delay`,
  ];
}

/** Which sources each step is judged on, and what holds the last step, in the plan's words. */
export function evidenceSources(inputs: ResolvedInputs): string {
  const h = inputs.settings.health;
  const metrics = `the function's request metrics (${inputs.requestMetrics?.namespace ?? ""}), with Lambda's Invocations, Errors and Throttles and the alarms`;
  const onMetrics = "the last step is promoted only once the request metrics account for every invocation Lambda counted to the end of its bake (measured per minute)";
  if (!h.liveEvidence) return `${metrics}; live stream off (health.liveEvidence false / --no-live-evidence); ${onMetrics}`;
  if (inputs.requestMetrics?.logGroupArn === undefined) return `${metrics}; no live stream: the stack exports no requestMetrics.logGroupArn (the next pulumi up adds it); ${onMetrics}`;
  return `the live stream of each request (Live Tail on ${inputs.requestMetrics.logGroupArn.replace(/^.*:log-group:/, "")}, billed per session-minute), up to its measured watermark, with Lambda's Invocations, Errors and Throttles and the alarms; the last step is promoted only once the stream has shown its traffic to the end of its bake; without the stream (no permission, quota) ${metrics}, and ${onMetrics}`;
}

/** Which stages the stage check would send requests through, and the plan's line saying so. */
export function stageCheckPlan(inputs: ResolvedInputs): { checked: ResolvedInputs["stages"]; line: string } {
  const c = inputs.settings.stageCheck;
  if (!c.enabled) return { checked: [], line: "off (stageCheck.enabled: false / --no-stage-check)" };
  if (inputs.stages.length === 0) return { checked: [], line: `skipped: no stage routing to alias ${inputs.alias} is known (${inputs.source === "flags" ? "explicit flags, no stack outputs" : "none in the outputs"})` };
  const isPrivate = (st: ResolvedInputs["stages"][number]) => st.endpointType === "PRIVATE" || c.privateStages.includes(st.stageName);
  const checked = inputs.stages.filter((st) => !isPrivate(st));
  const privates = inputs.stages.filter(isPrivate).map((st) => `${st.stageName} (private API: skipped)`);
  const where = [...checked.map((st) => st.invokeUrl), ...privates].join(", ");
  return {
    checked,
    line:
      checked.length === 0
        ? `skipped: every stage is private (${privates.join(", ")})`
        : `on, after each shift (and after promotion when no final bake checked 100%): the smoke gate's GETs through ${where}; each answer must be the route's documented one with x-function-version on the alias, every route answered well (twice at 100%), all from the target at 100%, and at a partial weight at least one from the target; at most ${c.maxRequests} requests and ${c.maxSeconds}s per stage and check, ${c.intervalMs} ms apart (at least 1 s after a 429), ${c.timeoutMs} ms timeout each; a failure rolls back (exit 1)`,
  };
}
