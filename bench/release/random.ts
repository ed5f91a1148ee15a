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
  return standardNormalFrom(random(), random());
}

/** Box–Muller from two uniforms in [0, 1). */
export function standardNormalFrom(a: number, b: number): number {
  return Math.sqrt(-2 * Math.log(1 - a)) * Math.cos(2 * Math.PI * b);
}

/**
 * A uniform in [0, 1) fixed by its keys (seed, index, stream): the same second always gets the
 * same draw, in whatever order seconds are asked about. mulberry32's output step over a mix of the keys.
 */
export function hashUniform(seed: number, index: number, stream: number): number {
  let t = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(stream, 0x27d4eb2f)) >>> 0;
  t = (t + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** z of the 99th percentile of a standard normal. */
const Z99 = 2.3263478740408408;

/** A log-normal latency with the given median and 99th percentile (ms). */
export function lognormalLatency(random: Random, medianMs: number, p99Ms: number): number {
  const sigma = Math.log(p99Ms / medianMs) / Z99;
  return medianMs * Math.exp(sigma * standardNormal(random));
}
