import assert from "node:assert/strict";
import { log1mExp, logGamma, logIncBeta, logIncBetaUpper } from "../../../../release/judge/decision/math";
import { logEvidenceAbove, logEvidenceBelow, targetShare, trialsToShowBelow } from "../../../../release/judge/decision/sequential";

const close = (actual: number, expected: number, rel = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)), `${actual} is not within ${rel} of ${expected}`);

/** P(X ≥ k) for X ~ Binomial(n, p), summed term by term: the identity I_p(k, n − k + 1) = P(X ≥ k). */
function binomialUpperTail(k: number, n: number, p: number): number {
  let sum = 0;
  for (let j = k; j <= n; j++) {
    let logChoose = 0;
    for (let i = 1; i <= j; i++) logChoose += Math.log(n - j + i) - Math.log(i);
    sum += Math.exp(logChoose + j * Math.log(p) + (n - j) * Math.log1p(-p));
  }
  return sum;
}

describe("decision math", () => {
  it("log-gamma matches factorials and reference values (SciPy 1.17 gammaln) from 0.1 to 1e9", () => {
    let fact = 1;
    for (let n = 1; n <= 20; n++) {
      close(logGamma(n + 1), Math.log((fact *= n)), 1e-13);
    }
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13);
    close(logGamma(0.1), 2.252712651734206, 1e-13);
    close(logGamma(123.4), 469.3360974421906, 1e-13);
    close(logGamma(1e9), 19723265827.503716, 1e-13);
    assert.throws(() => logGamma(0), /needs x > 0/);
  });

  it("the incomplete beta function agrees with closed forms and with binomial tails", () => {
    for (const x of [1e-9, 0.01, 0.3, 0.5, 0.77, 0.999]) {
      close(logIncBeta(x, 1, 1), Math.log(x));
      close(logIncBeta(x, 3, 1), 3 * Math.log(x));
      close(logIncBeta(x, 1, 4), Math.log(-Math.expm1(4 * Math.log1p(-x))));
    }
    for (const [k, n, p] of [[1, 10, 0.1], [3, 20, 0.05], [15, 30, 0.4], [29, 30, 0.9], [2, 200, 0.001]]) {
      close(logIncBeta(p, k, n - k + 1), Math.log(binomialUpperTail(k, n, p)), 1e-9);
      close(logIncBetaUpper(p, k, n - k + 1), Math.log(1 - binomialUpperTail(k, n, p)), 1e-9);
    }
    close(logIncBeta(0.001, 3.5, 2000), -1.5107639863136075, 1e-10);
    close(logIncBeta(0.9, 50, 7), -0.3947595214636564, 1e-10);
  });

  it("keeps tiny tails and large counts in logs instead of rounding them to 0 or 1", () => {
    close(logIncBetaUpper(0.99, 2, 5), -21.242459710382914, 1e-9);
    close(logIncBeta(0.49, 1e5 + 1, 1e5 + 1), -43.13048689735788, 1e-7);
    close(logIncBeta(0.05, 1, 500), log1mExp(500 * Math.log1p(-0.05)));
    close(logIncBetaUpper(0.05, 1, 500), -25.64664719377527, 1e-9);
    const start = process.hrtime.bigint();
    const v = logIncBeta(0.2 - 0.001, 200_000, 800_001);
    assert.ok(Number.isFinite(v) && v < 0, String(v));
    assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 200, "a million trials should take well under 200 ms");
  });

  it("the harm evidence is 1/(2π₀)-ish for one failure out of one and vanishes below the null", () => {
    // Uniform mixture on (π₀, 1] for x = n = 1: E[π] / π₀ = (1 + π₀) / (2π₀).
    close(logEvidenceAbove(1, 1, 0.004), Math.log(1.004 / 0.008));
    assert.equal(logEvidenceAbove(0, 0, 0.3), 0);
    assert.equal(logEvidenceAbove(3, 3, 0), Infinity);
    assert.equal(logEvidenceAbove(3, 10, 1), 0);
    assert.ok(logEvidenceAbove(1, 100, 0.05) < 0, "1 in 100 is no evidence of a rate above 5%");
    assert.ok(Number.isFinite(logEvidenceAbove(300_000, 1_000_000, 0.25)) && logEvidenceAbove(300_000, 1_000_000, 0.25) > 1000);
  });

  it("the health evidence for n clean trials is (1 − (1 − p₁)^(n+1)) / ((n + 1) p₁ (1 − p₁)^n)", () => {
    for (const n of [1, 10, 130, 1000]) {
      const p = 0.05;
      close(logEvidenceBelow(0, n, p), Math.log((1 - (1 - p) ** (n + 1)) / ((n + 1) * p * (1 - p) ** n)), 1e-9);
    }
    assert.equal(logEvidenceBelow(0, 0, 0.05), 0);
    assert.equal(logEvidenceBelow(0, 10, 0), 0);
    assert.equal(logEvidenceBelow(2, 10, 1.5), Infinity);
    const n = trialsToShowBelow(0.05, Math.log(100));
    assert.ok(n !== undefined && logEvidenceBelow(0, n, 0.05) >= Math.log(100) && logEvidenceBelow(0, n - 1, 0.05) < Math.log(100));
  });

  it("splits merged failures by exposure times the rate ratio", () => {
    close(targetShare(100, 900, 1), 0.1);
    close(targetShare(100, 900, 1.5), 150 / 1050);
    assert.equal(targetShare(0, 0, 1.5), 0);
    assert.equal(targetShare(10, 0, 1.5), 1);
  });
});
