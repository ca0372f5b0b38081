import { describe, expect, it } from "vitest";
import { resolveMaxUnavailable } from "./max-unavailable.ts";

describe("maxUnavailable", () => {
  it("resolves percentages against the total, rounding up, at least one", () => {
    expect(resolveMaxUnavailable("10%", 20)).toBe(2);
    expect(resolveMaxUnavailable("10%", 5)).toBe(1);
    expect(resolveMaxUnavailable("25%", 10)).toBe(3);
    expect(resolveMaxUnavailable("0%", 10)).toBe(1);
  });

  it("takes counts as they are, at least one", () => {
    expect(resolveMaxUnavailable(3, 10)).toBe(3);
    expect(resolveMaxUnavailable(0, 10)).toBe(1);
  });
});
