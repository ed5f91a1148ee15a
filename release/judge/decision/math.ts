/**
 * Special functions the sequential tests need, in logs so that counts in the millions neither
 * overflow nor lose their evidence to rounding: log-gamma, log-beta and the log of the
 * regularized incomplete beta function I_x(a, b) and of its complement.
 *
 * Algorithms: the Lanczos approximation of Γ (g = 7, n = 9; Godfrey's coefficients, relative
 * error below 1e-15) with Stirling's series for large arguments, and the continued fraction for
 * I_x(a, b) evaluated by the modified Lentz method, used on the side of the mean where it
 * converges fast (Press et al., Numerical Recipes, 3rd ed., §6.1 and §6.4; DLMF 8.17.22).
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0 (got ${x}).`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  if (x > 1e7) {
    // Stirling's series; the next term (1/1260x⁵) is far below double precision here.
    const inv = 1 / x;
    return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + inv / 12 - (inv * inv * inv) / 360;
  }
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** log(1 − e^x) for x ≤ 0, accurate near 0 and for very negative x (Mächler, "Accurately computing log(1 − exp(−|a|))", 2012). */
export function log1mExp(x: number): number {
  if (x > 0) throw new RangeError(`log1mExp needs x ≤ 0 (got ${x}).`);
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/** log(e^a + e^b) without overflow. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

const TINY = 1e-300;
const EPS = 1e-15;

/** Continued fraction of I_x(a, b) (Numerical Recipes' betacf); converges fast for x < (a + 1) / (a + b + 2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  // The number of terms grows like sqrt(max(a, b)); this bound covers counts up to ~1e12.
  const maxIterations = 10_000 + 10 * Math.ceil(Math.sqrt(Math.max(a, b)));
  for (let m = 1; m <= maxIterations; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  throw new RangeError(`incomplete beta did not converge for x=${x}, a=${a}, b=${b}.`);
}

/** log of the continued-fraction side: log I_x(a, b), valid (fast) when x < (a + 1) / (a + b + 2). */
function logIncBetaDirect(x: number, a: number, b: number): number {
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b) - Math.log(a);
  return logFront + Math.log(betaContinuedFraction(x, a, b));
}

/** log I_x(a, b), the log of the regularized incomplete beta function, for 0 ≤ x ≤ 1 and a, b > 0. */
export function logIncBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`logIncBeta needs a, b > 0 (got a=${a}, b=${b}).`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`logIncBeta needs 0 ≤ x ≤ 1 (got ${x}).`);
  if (x === 0) return -Infinity;
  if (x === 1) return 0;
  if (x < (a + 1) / (a + b + 2)) return logIncBetaDirect(x, a, b);
  // I_x(a, b) = 1 − I_{1−x}(b, a): compute the small side, then take the complement in logs.
  return log1mExp(Math.min(0, logIncBetaDirect(1 - x, b, a)));
}

/** log(1 − I_x(a, b)), the upper tail, accurate when it is tiny. */
export function logIncBetaUpper(x: number, a: number, b: number): number {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`logIncBetaUpper needs 0 ≤ x ≤ 1 (got ${x}).`);
  return logIncBeta(1 - x, b, a);
}
