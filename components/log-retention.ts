/**
 * The retention periods CloudWatch Logs accepts, and the one rule every log group here follows.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
 */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const isLogRetention = (days: number): boolean => (LOG_RETENTION_DAYS as readonly number[]).includes(days);

/** The rule and fix, for a message that already names the field and value. */
export const LOG_RETENTION_RULE = `must be a retention CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")}.`;
