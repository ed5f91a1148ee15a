/**
 * Seeded randomness for the release simulator: every run is reproducible from its seed.
 * mulberry32 (a 32-bit generator with a full 2^32 period, public domain, by Tommy Ettinger) is
 * plenty for Monte-Carlo counts of this size; it is not for cryptography.
 */
export type Random = () => number;

/** Uniform in [0, 1). */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waiting time to the next event of a Poisson process with `ratePerSecond`, in seconds. */
export function exponential(random: Random, ratePerSecond: number): number {
  return -Math.log(1 - random()) / ratePerSecond;
}

/** A standard normal draw (Box–Muller). */
export function standardNormal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** z of the 99th percentile of a standard normal. */
const Z99 = 2.3263478740408408;

/** A log-normal latency with the given median and 99th percentile (ms). */
export function lognormalLatency(random: Random, medianMs: number, p99Ms: number): number {
  const sigma = Math.log(p99Ms / medianMs) / Z99;
  return medianMs * Math.exp(sigma * standardNormal(random));
}
