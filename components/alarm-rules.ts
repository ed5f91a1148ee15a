/**
 * What CloudWatch accepts, and what actually evaluates, for the evaluation window of an alarm on
 * Lambda's own `AWS/Lambda` metrics. One module, read by the stack config and by AliasAlarms.
 *
 * PutMetricAlarm (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):
 * - Period: "Valid values are 10, 20, 30, and any multiple of 60." 10, 20 and 30 only suit metrics
 *   stored with a StorageResolution of 1; on a metric without sub-minute resolution "the alarm
 *   might often lapse into INSUFFICENT_DATA status" (and is billed as high-resolution). Lambda
 *   publishes `AWS/Lambda` metrics at one-minute resolution
 *   (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html), so only multiples of 60 work here.
 * - Period × EvaluationPeriods: at most 604,800 s (seven days); for a period under one hour
 *   (3,600 s), at most 86,400 s (one day).
 * - EvaluationPeriods and DatapointsToAlarm: whole numbers of at least 1, DatapointsToAlarm (the
 *   M of an "M out of N" alarm) at most EvaluationPeriods. The alarms on Lambda's own metrics
 *   do not set it, so CloudWatch needs all N periods to breach; the alarm on the function's EMF
 *   metrics does (emfAlarmWindow).
 */

/** The most seconds an alarm may evaluate: seven days, or one day when the period is under an hour. */
export const MAX_WINDOW_SECONDS = 604_800;
export const MAX_SUB_HOUR_WINDOW_SECONDS = 86_400;
/** Periods at or above this may span the seven-day window. */
export const LONG_PERIOD_SECONDS = 3_600;

/** The rule and fix for an alarm period, for a message that already names the field and value; undefined if valid. */
export function alarmPeriodProblem(periodSeconds: number): string | undefined {
  if ([10, 20, 30].includes(periodSeconds)) {
    return "10, 20 and 30 s periods only evaluate high-resolution custom metrics; Lambda publishes AWS/Lambda metrics once a minute, so the alarm would lapse into INSUFFICIENT_DATA. Use 60 or another multiple of 60.";
  }
  if (!Number.isInteger(periodSeconds) || periodSeconds < 60 || periodSeconds % 60 !== 0) {
    return "must be a multiple of 60 seconds (60, 120, 300, …): CloudWatch alarms on one-minute AWS/Lambda metrics take whole minutes.";
  }
  return undefined;
}

/**
 * Periods of EMF data an alarm waits for past its own: metrics the function writes as EMF are
 * made from its logs, whose timing "depends on your log publishing flow", and for Lambda, whose
 * flush interval cannot be set, AWS advises "M out of N" alarms
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Alarms.html).
 */
export const EMF_LATE_PERIODS = 2;

/**
 * The "M out of N" window of an alarm on the function's EMF metrics: M = evaluationPeriods
 * breaching datapoints, out of N = M + EMF_LATE_PERIODS, so a late datapoint is still evaluated
 * when it arrives; N is held within CloudWatch's window (above).
 */
export function emfAlarmWindow(periodSeconds: number, evaluationPeriods: number): { evaluationPeriods: number; datapointsToAlarm: number } {
  const max = Math.floor((periodSeconds < LONG_PERIOD_SECONDS ? MAX_SUB_HOUR_WINDOW_SECONDS : MAX_WINDOW_SECONDS) / periodSeconds);
  return { evaluationPeriods: Math.max(evaluationPeriods, Math.min(max, evaluationPeriods + EMF_LATE_PERIODS)), datapointsToAlarm: evaluationPeriods };
}

/** The rule and fix for period × evaluation periods (both valid on their own); undefined if within CloudWatch's limit. */
export function alarmWindowProblem(periodSeconds: number, evaluationPeriods: number): string | undefined {
  const window = periodSeconds * evaluationPeriods;
  const max = periodSeconds < LONG_PERIOD_SECONDS ? MAX_SUB_HOUR_WINDOW_SECONDS : MAX_WINDOW_SECONDS;
  if (window <= max) return undefined;
  const limit = max === MAX_SUB_HOUR_WINDOW_SECONDS ? "one day (86400 s) for a period under an hour" : "seven days (604800 s)";
  return `evaluationPeriods × periodSeconds = ${evaluationPeriods} × ${periodSeconds} = ${window} s, but CloudWatch evaluates at most ${limit}; use at most ${Math.floor(max / periodSeconds)} periods of ${periodSeconds} s, or a longer period.`;
}
