/** One measured figure. Benchmarks report figures; they never fail a test run. */
export interface BenchRow {
  /** Which part of the project this measures, e.g. `lambda` or `infra`. */
  readonly area: string;
  /** What was measured, e.g. `api.zip size`. */
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** The goal, in the same unit, and whether lower or higher is better. */
  readonly target?: { readonly value: number; readonly better: "lower" | "higher" };
  /** How it was measured (runs, statistic). */
  readonly note?: string;
}

/** Rows for the summary table, plus named sections written as they are to bench/results.json. */
export interface BenchResult {
  readonly rows: BenchRow[];
  readonly sections?: Readonly<Record<string, unknown>>;
}

/** A benchmark module (`bench/*.bench.ts`) default-exports one of these. */
export type Bench = () => Promise<BenchRow[] | BenchResult>;
