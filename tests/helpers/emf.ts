/**
 * Reads Embedded Metric Format documents and checks them against the published specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * written from that page rather than from the code that writes them:
 * - the root has `_aws` with a numeric `Timestamp` (ms since the epoch) and a `CloudWatchMetrics` array;
 * - each directive has a `Namespace` (1–255 characters), `Dimensions` (an array of dimension sets,
 *   each an array of at most 30 names of root members whose values are strings) and `Metrics`
 *   (at most 100 definitions, each a `Name` that is a root member holding a number or an array of
 *   at most 100 numbers, an optional `Unit` from the CloudWatch units, an optional `StorageResolution` of 1 or 60).
 */
export interface EmfMetric {
  readonly name: string;
  readonly unit?: string;
  readonly storageResolution?: number;
  readonly value: number;
}

export interface EmfDocument {
  readonly namespace: string;
  readonly dimensionSets: readonly (readonly string[])[];
  /** The root members named by any dimension set. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly metrics: readonly EmfMetric[];
  readonly timestamp: number;
}

const UNITS = new Set([
  "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
  "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
  "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses one log line as an EMF document; throws naming the first rule it breaks. Returns undefined for other lines. */
export function parseEmf(line: string): EmfDocument | undefined {
  let root: unknown;
  try {
    root = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(root) || !("_aws" in root)) return undefined;
  const aws = root._aws;
  if (!isRecord(aws)) throw new Error("_aws must be an object");
  if (typeof aws.Timestamp !== "number" || !Number.isInteger(aws.Timestamp)) throw new Error("_aws.Timestamp must be an integer (ms since the epoch)");
  if (!Array.isArray(aws.CloudWatchMetrics) || aws.CloudWatchMetrics.length !== 1) throw new Error("_aws.CloudWatchMetrics must hold the one directive these documents write");
  const directive: unknown = aws.CloudWatchMetrics[0];
  if (!isRecord(directive)) throw new Error("a metric directive must be an object");
  const { Namespace, Dimensions, Metrics } = directive;
  if (typeof Namespace !== "string" || Namespace.length < 1 || Namespace.length > 255) throw new Error("Namespace must be 1 to 255 characters");
  if (!Array.isArray(Dimensions)) throw new Error("Dimensions must be an array of dimension sets");
  const dimensions: Record<string, string> = {};
  const dimensionSets: string[][] = [];
  for (const set of Dimensions as unknown[]) {
    if (!Array.isArray(set) || set.length > 30) throw new Error("a dimension set is an array of at most 30 names");
    for (const name of set as unknown[]) {
      if (typeof name !== "string") throw new Error("a dimension name must be a string");
      const value = root[name];
      if (typeof value !== "string") throw new Error(`dimension ${name} must name a root member holding a string, found ${JSON.stringify(value)}`);
      dimensions[name] = value;
    }
    dimensionSets.push(set as string[]);
  }
  if (!Array.isArray(Metrics) || Metrics.length > 100) throw new Error("Metrics must be an array of at most 100 definitions");
  const metrics: EmfMetric[] = [];
  for (const m of Metrics as unknown[]) {
    if (!isRecord(m) || typeof m.Name !== "string") throw new Error("a metric definition needs a Name");
    if (m.Unit !== undefined && (typeof m.Unit !== "string" || !UNITS.has(m.Unit))) throw new Error(`metric ${m.Name}: Unit ${String(m.Unit)} is not a CloudWatch unit`);
    if (m.StorageResolution !== undefined && m.StorageResolution !== 1 && m.StorageResolution !== 60) throw new Error(`metric ${m.Name}: StorageResolution must be 1 or 60`);
    const value = root[m.Name];
    if (typeof value !== "number") throw new Error(`metric ${m.Name} must name a root member holding a number, found ${JSON.stringify(value)}`);
    metrics.push({ name: m.Name, unit: m.Unit as string | undefined, storageResolution: m.StorageResolution as number | undefined, value });
  }
  return { namespace: Namespace, dimensionSets, dimensions, metrics, timestamp: aws.Timestamp };
}

/** Every EMF document in some output, in order. */
export function emfDocuments(output: string): EmfDocument[] {
  return output.split("\n").flatMap((line) => {
    const doc = line.trim() === "" ? undefined : parseEmf(line);
    return doc === undefined ? [] : [doc];
  });
}

/** name → value of one document's metrics. */
export function metricValues(doc: EmfDocument): Record<string, number> {
  return Object.fromEntries(doc.metrics.map((m) => [m.name, m.value]));
}
