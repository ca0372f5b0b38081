import { describe, expect, it, vi } from "vitest";
import { main } from "./main.ts";

describe("bosun-kvm-provider command line", () => {
  it("an unknown flag is a usage error (exit 2) naming it; --help exits 0", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(await main(["--bogus"])).toBe(2);
      expect(String(err.mock.calls[0]?.[0])).toContain("Unknown option '--bogus'");
      expect(await main(["--help"])).toBe(0);
      expect(String(out.mock.calls[0]?.[0])).toContain("--boot-kernel FILE");
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  });

  it("a bad value exits 1 before touching anything", async () => {
    expect(await main(["--boot-kernel", "/k", "--boot-initrd", "/i", "--domain-type", "xen"])).toBe(1);
    expect(await main(["--domain-type", "qemu"])).toBe(1);
  });
});
