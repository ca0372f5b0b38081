import { describe, expect, it } from "vitest";
import { isoNow, isoTime } from "./iso-time.ts";

describe("isoTime", () => {
  it("formats like Date.prototype.toISOString across leap years, month ends and the epoch", () => {
    const fixed = [
      0, -1, 1, 951_782_400_000 /* 2000-02-29 */, 4_107_542_399_999 /* 2100-02-28T23:59:59.999 */,
      253_402_300_799_999 /* 9999-12-31 */, -62_167_219_200_000 /* 0000-01-01 */, 1_795_000_000_123,
    ];
    for (const ms of fixed) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    let seed = 42;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      const ms = Math.floor((seed / 2_147_483_648) * 2 * 253_402_300_799_999) - 62_167_219_200_000;
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("drops fractions of a millisecond like Date, formats expanded years like Date, and rejects non-finite times", () => {
    for (const ms of [1.9, -1.5, -86_400_000.5]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    expect(isoTime(-62_167_219_200_001)).toBe(new Date(-62_167_219_200_001).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });

  it("isoNow is the current time", () => {
    const before = Date.now();
    const now = Date.parse(isoNow());
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
