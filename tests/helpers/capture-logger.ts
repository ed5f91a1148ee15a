/** A real Powertools logger whose output (and its children's) is kept in memory instead of printed. */
import { Logger } from "@aws-lambda-powertools/logger";
import type { ConstructorOptions } from "@aws-lambda-powertools/logger/types";

export type LogLine = Record<string, unknown>;

export class CapturingLogger extends Logger {
  constructor(
    readonly lines: LogLine[] = [],
    options: ConstructorOptions = { serviceName: "shiftline-api-test", logLevel: "DEBUG" },
  ) {
    super(options);
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new CapturingLogger(this.lines, options);
  }

  protected override printLog(_logLevel: number, log: Parameters<Logger["printLog"]>[1]): void {
    log.prepareForPrint();
    // Through JSON, exactly as printed: what a log reader would see.
    this.lines.push(JSON.parse(JSON.stringify(log.getAttributes(), this.getJsonReplacer())) as LogLine);
  }
}
