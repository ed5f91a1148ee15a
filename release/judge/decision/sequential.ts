/**
 * One-sided mixture sequential probability ratio tests for a binomial proportion.
 *
 * For x successes in n Bernoulli(p) trials, the likelihood ratio of an alternative p against a
 * null p₀ is (p/p₀)^x ((1−p)/(1−p₀))^(n−x). Averaging it over a prior G on the alternatives gives
 * the mixture ratio Λₙ (Robbins, "Statistical methods related to the law of the iterated
 * logarithm", Ann. Math. Statist. 41, 1970). Under the null Λₙ is a non-negative martingale with
 * mean 1, so by Ville's inequality P(Λₙ ≥ 1/α for some n) ≤ α: the test may be looked at after
 * every request, or every few seconds, and still rolls back a good release with probability at
 * most α (Johari, Pekelis & Walsh, "Always valid inference: continuous monitoring of A/B tests",
 * Operations Research 70(3), 2022; arXiv:1512.04922). For a one-sided null (p ≤ p₀, or p ≥ p₁)
 * every component of G lies on the far side of the boundary; each is then a supermartingale
 * under every null value, and so is their mixture.
 *
 * G is the uniform prior truncated to the alternative, which gives Λ in closed form through the
 * incomplete beta function: ∫ p^x (1−p)^(n−x) dp over [p₀, 1] = B(x+1, n−x+1) (1 − I_{p₀}(x+1, n−x+1)).
 * A uniform prior spends its weight evenly between "a little worse" and "always failing", which
 * is what a release needs: a crash on every request is caught at the first failures, a 2× rate
 * after a few dozen.
 */
import { logBeta, logIncBeta, logIncBetaUpper } from "./math";

/** x log p + (n − x) log(1 − p), with 0 log 0 = 0. */
function logBinomialKernel(x: number, n: number, p: number): number {
  const a = x === 0 ? 0 : x * Math.log(p);
  const b = n - x === 0 ? 0 : (n - x) * Math.log1p(-p);
  return a + b;
}

/**
 * log Λ for H₀: p ≤ p₀ against p > p₀ (evidence that the rate is ABOVE p₀), uniform mixture on
 * (p₀, 1]. 0 when there is no alternative (p₀ ≥ 1) or no trial; +∞ when p₀ = 0 and x > 0.
 */
export function logEvidenceAbove(x: number, n: number, p0: number): number {
  if (n === 0 || p0 >= 1) return 0;
  if (p0 <= 0) return x > 0 ? Infinity : 0;
  const logMixture = logBeta(x + 1, n - x + 1) + logIncBetaUpper(p0, x + 1, n - x + 1) - Math.log1p(-p0);
  return logMixture - logBinomialKernel(x, n, p0);
}

/**
 * log Λ for H₀: p ≥ p₁ against p < p₁ (evidence that the rate is BELOW p₁), uniform mixture on
 * [0, p₁). +∞ when p₁ > 1 and there is data, 0 when p₁ ≤ 0 or no trial.
 */
export function logEvidenceBelow(x: number, n: number, p1: number): number {
  if (n === 0 || p1 <= 0) return 0;
  if (p1 >= 1) return x < n || p1 > 1 ? Infinity : 0;
  const logMixture = logBeta(x + 1, n - x + 1) + logIncBeta(p1, x + 1, n - x + 1) - Math.log(p1);
  return logMixture - logBinomialKernel(x, n, p1);
}

/**
 * Share of the merged failures expected on the target when its rate is `ratio` times the
 * baseline's: Poisson counts with exposures t and b, conditioned on their sum, split as
 * Binomial(n, ρt / (ρt + b)) whatever the common rate; this is the classic conditional test for
 * two Poisson means (Przyborowski & Wilenski, Biometrika 31, 1940; Lehmann & Romano, Testing
 * Statistical Hypotheses, ch. 4, on UMP unbiased tests for two Poisson parameters).
 */
export function targetShare(targetRequests: number, baselineRequests: number, ratio: number): number {
  const t = ratio * targetRequests;
  return t + baselineRequests === 0 ? 0 : t / (t + baselineRequests);
}

/** The fewest failure-free trials after which logEvidenceBelow(0, n, p1) reaches `logThreshold`. */
export function trialsToShowBelow(p1: number, logThreshold: number, max = 10_000_000): number | undefined {
  if (p1 <= 0) return undefined;
  let lo = 0;
  let hi = 1;
  while (logEvidenceBelow(0, hi, p1) < logThreshold) {
    hi *= 2;
    if (hi > max) return undefined;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (logEvidenceBelow(0, mid, p1) >= logThreshold) hi = mid;
    else lo = mid;
  }
  return hi;
}
