/**
 * A release/clock Clock on a @sinonjs/fake-timers clock: `sleep` ends when the fake time is
 * ticked past it, or at once when its signal aborts, so the probe's loops run without real time.
 */
import type FakeTimers from "@sinonjs/fake-timers";
import type { Clock } from "../../release/core/clock";

export function fakeClock(fc: ReturnType<typeof FakeTimers.createClock>): Clock {
  return {
    now: () => fc.now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted || ms <= 0) return resolve();
        const done = () => {
          fc.clearTimeout(timer as never);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = fc.setTimeout(done, ms);
        signal?.addEventListener("abort", done, { once: true });
      }),
  };
}
