import { describe, expect, it } from "vitest";
import { Wakeup } from "./wakeup.ts";

describe("Wakeup", () => {
  it("ends a wait on wake, on abort, and after the timeout; a wake with nobody waiting is a no-op", async () => {
    const w = new Wakeup();
    w.wake();
    const ctrl = new AbortController();
    let woken = false;
    const waiting = w.wait(ctrl.signal).then(() => {
      woken = true;
    });
    await Promise.resolve();
    expect(woken).toBe(false);
    w.wake();
    await waiting;
    expect(woken).toBe(true);

    const aborted = w.wait(ctrl.signal);
    ctrl.abort();
    await aborted;

    const t0 = Date.now();
    await w.wait(new AbortController().signal, 30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });
});
