/**
 * The binomial probabilities behind the throttle check, against values computed independently of
 * release/judge/decision/math.ts: exact sums in rational arithmetic (BigInt) for small n, and published
 * reference values for large n.
 */
import assert from "node:assert/strict";
import { binomialAtLeast, binomialCdf, throttlesAtUsualRate } from "../../../release/judge/throttle-baseline";

/** A probability as an exact fraction num/den of BigInts. */
interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

/** The binomial terms C(n, j) a^j b^(n−j) for j = 0…n, over the common denominator (a + b)^n: P(X = j) = a/(a + b) exactly. */
function exactTerms(n: number, a: bigint, b: bigint): { terms: bigint[]; den: bigint } {
  const terms: bigint[] = [];
  let choose = 1n;
  for (let j = 0; j <= n; j++) {
    if (j > 0) choose = (choose * BigInt(n - j + 1)) / BigInt(j);
    terms.push(choose * a ** BigInt(j) * b ** BigInt(n - j));
  }
  return { terms, den: (a + b) ** BigInt(n) };
}

/** Exact P(lo ≤ X ≤ hi) for X ~ Binomial(n, a/(a + b)). */
function exactProbability(lo: number, hi: number, n: number, a: bigint, b: bigint): Fraction {
  const { terms, den } = exactTerms(n, a, b);
  let num = 0n;
  for (let j = Math.max(0, lo); j <= Math.min(n, hi); j++) num += terms[j];
  return { num, den };
}

const bits = (x: bigint) => x.toString(2).length;

/** A fraction as the nearest double, with full relative precision however small it is. */
function toNumber({ num, den }: Fraction): number {
  if (num === 0n) return 0;
  const shift = bits(den) - bits(num) + 64;
  return Number((num << BigInt(shift)) / den) * 2 ** -shift;
}

const close = (actual: number, expected: number, rel: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} is not within ${rel} (relative) of ${expected}`);

describe("binomial probabilities through the incomplete beta function", () => {
  // Dyadic probabilities are exact doubles, so the double p and the fraction are the same number.
  const probabilities: Array<[bigint, bigint]> = [
    [1n, 1023n],
    [1n, 7n],
    [5n, 11n],
    [1n, 1n],
    [11n, 5n],
    [1023n, 1n],
  ];

  for (const n of [1, 2, 3, 5, 10, 20, 50, 100, 300]) {
    it(`P(X ≤ k) and P(X ≥ k) for n = ${n} equal the exact sums of the binomial terms`, () => {
      const ks = [...new Set([0, 1, Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4), n - 1])].filter((k) => k < n);
      for (const [a, b] of probabilities) {
        const p = Number(a) / Number(a + b);
        for (const k of ks) {
          const cdf = toNumber(exactProbability(0, k, n, a, b));
          if (cdf > 1e-290) close(binomialCdf(k, n, p), cdf, 1e-12, `binomialCdf(${k}, ${n}, ${p})`);
          const atLeast = toNumber(exactProbability(k + 1, n, n, a, b));
          if (atLeast > 1e-290) close(binomialAtLeast(k + 1, n, p), atLeast, 1e-12, `binomialAtLeast(${k + 1}, ${n}, ${p})`);
        }
      }
    });
  }

  it("keeps a tail of 1e-200 to its last digits instead of rounding it to 0", () => {
    // P(X ≥ 95) for n = 100, p = 1/1024, and P(X ≤ 4) for p = 1023/1024.
    close(binomialAtLeast(95, 100, 1 / 1024), toNumber(exactProbability(95, 100, 100, 1n, 1023n)), 1e-12, "upper tail");
    close(binomialCdf(4, 100, 1023 / 1024), toNumber(exactProbability(0, 4, 100, 1023n, 1n)), 1e-12, "lower tail");
  });

  it("matches published values", () => {
    // Wikipedia, "Binomial distribution", Example: Pr(X = 4) = 0.059535 for n = 6, p = 0.3.
    close(binomialCdf(4, 6, 0.3) - binomialCdf(3, 6, 0.3), 0.059535, 1e-12, "Pr(X = 4), n = 6, p = 0.3");
    // A fair coin: P(at most 5 heads in 10) = 638/1024.
    close(binomialCdf(5, 10, 0.5), 638 / 1024, 1e-13, "P(X ≤ 5), n = 10, p = 1/2");
    // SciPy 1.17.1 scipy.stats.binom.cdf and .sf (Boost's ibeta), for counts too large to sum here.
    const scipy: Array<[number, number, number, number, number]> = [
      [3, 10, 0.3, 0.6496107184000002, 0.3503892815999998],
      [50, 100, 0.5, 0.5397946186935889, 0.46020538130641103],
      [10, 1000, 0.005, 0.9865309906710682, 0.013469009328931749],
      [130, 1000, 0.1, 0.9990305585092043, 0.0009694414907957424],
      [70, 1000, 0.1, 0.0005744958408379689, 0.999425504159162],
      [0, 50, 0.02, 0.3641696800871171, 0.635830319912883],
      [3, 20000, 0.001, 3.180428497025299e-6, 0.999996819571503],
      [2500, 10000, 0.26, 0.011418901442290349, 0.9885810985577097],
      [99999, 200000, 0.5, 0.49910793905700185, 0.5008920609429981],
    ];
    for (const [k, n, p, cdf, sf] of scipy) {
      // log Γ near n is about n·log n, and its last-digit error becomes relative error in the
      // probability: some 1e-14 · n (2e-9 at n = 200 000), far below the check's 1/1000.
      const rel = Math.max(1e-12, n * 1e-14);
      close(binomialCdf(k, n, p), cdf, rel, `binomialCdf(${k}, ${n}, ${p})`);
      close(binomialAtLeast(k + 1, n, p), sf, rel, `binomialAtLeast(${k + 1}, ${n}, ${p})`);
    }
  });

  const edges: Array<[string, number, number, number, number]> = [
    ["k < 0 is impossible", -1, 10, 0.3, 0],
    ["k < 0 is impossible even when p = 0", -0.5, 10, 0, 0],
    ["k = n is certain", 10, 10, 0.3, 1],
    ["k > n is certain even when p = 1", 11, 10, 1, 1],
    ["k = n is certain when p = 1", 10, 10, 1, 1],
    ["p = 0: X = 0, so X ≤ 0", 0, 10, 0, 1],
    ["p = 0: X = 0, so X ≤ 7", 7, 10, 0, 1],
    ["p = 1: X = n, so X ≤ n − 1 never holds", 9, 10, 1, 0],
    ["p = 1: X = n, so X ≤ 0 never holds", 0, 10, 1, 0],
    ["n = 0: X = 0", 0, 0, 0.5, 1],
    ["a real k counts as its floor", 2.7, 10, 0.5, 56 / 1024],
  ];
  for (const [what, k, n, p, expected] of edges) {
    // 0 and 1 come out exactly; other values to double precision (the continued fraction stops at 1e-15).
    it(`binomialCdf(${k}, ${n}, ${p}) = ${expected}: ${what}`, () => close(binomialCdf(k, n, p), expected, 1e-13, what));
  }

  it("P(X ≥ k) at the edges: certain for k ≤ 0, impossible for k > n, and p = 0 or 1", () => {
    assert.equal(binomialAtLeast(0, 10, 0.3), 1);
    assert.equal(binomialAtLeast(-3, 10, 1), 1);
    assert.equal(binomialAtLeast(11, 10, 1), 0);
    assert.equal(binomialAtLeast(1, 10, 0), 0);
    assert.equal(binomialAtLeast(10, 10, 1), 1);
    assert.equal(binomialAtLeast(2.2, 10, 0.5), binomialAtLeast(3, 10, 0.5), "a real k counts as its ceiling");
  });

  it("refuses what is not a binomial distribution, naming the argument and the rule", () => {
    assert.throws(() => binomialCdf(1, 2.5, 0.5), /^RangeError: binomialCdf: n = 2\.5: the number of trials must be a whole number ≥ 0\.$/);
    assert.throws(() => binomialCdf(1, -1, 0.5), /n = -1: the number of trials/);
    assert.throws(() => binomialCdf(1, 10, 1.5), /^RangeError: binomialCdf: p = 1\.5: the success probability must be between 0 and 1\.$/);
    assert.throws(() => binomialAtLeast(1, 10, Number.NaN), /binomialAtLeast: p = NaN/);
    assert.throws(() => binomialCdf(Number.NaN, 10, 0.5), /k = NaN/);
  });
});

describe("the throttle limit against exact arithmetic", () => {
  /**
   * The largest window count w whose upper tail P(W ≥ w), W ~ Binomial(baseline + w, tw/(tb + tw)),
   * is still at least 1/1000, decided in exact fractions: 1000 · Σ_{j≥w} terms ≥ (tb + tw)^n.
   */
  function exactLimit(baseline: number, tb: number, tw: number): number {
    const tolerated = (w: number) => {
      const { num, den } = exactProbability(w, baseline + w, baseline + w, BigInt(tw), BigInt(tb));
      return 1000n * num >= den;
    };
    let w = 0;
    while (tolerated(w + 1)) w++;
    return w;
  }

  const cases: Array<[number, number, number]> = [
    [1, 10, 1],
    [1, 10, 2],
    [2, 15, 11],
    [5, 10, 5],
    [12, 10, 30],
    [40, 10, 11],
    [40, 5, 1],
    [140, 10, 2],
  ];
  for (const [baseline, tb, tw] of cases) {
    it(`${baseline} throttles in ${tb} minutes, then ${tw} minutes: the same limit as exact arithmetic`, () => {
      assert.equal(throttlesAtUsualRate({ throttles: baseline, minutes: tb }, tw), exactLimit(baseline, tb, tw));
    });
  }
});
