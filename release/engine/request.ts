/** What one release run is asked to do (ReleaseRequest) and what it runs on (ReleaseDeps). */
import type { AwsPorts } from "../aws/clients";
import type { CodeUpdateWait } from "../aws/lambda";
import type { Clock } from "../core/clock";
import type { RequestMetricsOutput } from "../inputs/stack-outputs";
import type { SmokeEvent } from "../inputs/smoke-source";
import type { Progress } from "./report";
import type { ReleaseSettings } from "../inputs/settings";
import type { StageOutput } from "../inputs/stack-outputs";
import type { StageHttpPort } from "../stage-check/http";

export type ReleaseMode = "start" | "resume" | "abort";

export interface ReleaseRequest {
  readonly environment?: string;
  readonly functionName: string;
  readonly alias: string;
  /** Stages routing to the alias (their invoke permission is checked); empty with explicit flags. */
  readonly stages: readonly StageOutput[];
  readonly alarmNames: readonly string[];
  readonly settings: ReleaseSettings;
  /** Version to release; undefined in artifact mode, where publishing decides it. */
  readonly target?: string;
  readonly mode: ReleaseMode;
  readonly artifact?: { readonly file: string; readonly bucket: string; readonly keyPrefix: string };
  readonly codeUpdateWait: Omit<CodeUpdateWait, "abortSignal">;
  readonly smokeEvents: readonly SmokeEvent[];
  /** Checks the caller already knows will not be made. */
  readonly skipped?: readonly string[];
  /**
   * Where the function writes its request metrics (stack output requestMetrics): with it, each
   * step is judged by the evidence-based rule on what users saw, per version; without it, by the
   * fixed-count rule on Lambda's own metrics.
   */
  readonly requestMetrics?: RequestMetricsOutput;
}

export interface ReleaseDeps {
  readonly aws: AwsPorts;
  readonly clock: Clock;
  /** Aborted by SIGINT/SIGTERM; the run then rolls back. */
  readonly signal: AbortSignal;
  readonly progress: Progress;
  /** GETs through the stages for the stage check (release/stage-check/http.ts); without it the check is skipped. */
  readonly stageHttp?: StageHttpPort;
}
