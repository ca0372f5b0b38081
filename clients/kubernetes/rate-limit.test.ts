import { describe, expect, it } from "vitest";
import { TokenBucket } from "./rate-limit.ts";

function fakeClock(): { now: () => number; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
    slept,
  };
}

describe("TokenBucket", () => {
  it("defaults to 50 qps with a burst of 100", () => {
    const b = new TokenBucket();
    expect([b.qps, b.burst]).toEqual([50, 100]);
  });

  it("lets a burst through at once, then paces at qps", async () => {
    const c = fakeClock();
    const b = new TokenBucket({ qps: 10, burst: 3, now: c.now, sleep: c.sleep });
    for (let i = 0; i < 3; i++) await b.take();
    expect(c.slept).toEqual([]);
    await b.take();
    expect(c.slept).toEqual([100]);
    await b.take();
    expect(c.now()).toBe(200);
  });

  it("refills up to the burst only", () => {
    const c = fakeClock();
    const b = new TokenBucket({ qps: 10, burst: 2, now: c.now, sleep: c.sleep });
    expect(b.tryTake() && b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
    void c.sleep(10_000);
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, false]);
  });

  it("rejects with the abort reason", async () => {
    const c = fakeClock();
    const b = new TokenBucket({ qps: 1, burst: 1, now: c.now, sleep: c.sleep });
    await b.take();
    const ac = new AbortController();
    ac.abort(new Error("stop"));
    await expect(b.take(ac.signal)).rejects.toThrow("stop");
  });

  it("refuses nonsense settings", () => {
    expect(() => new TokenBucket({ qps: 0 })).toThrow(RangeError);
  });
});
