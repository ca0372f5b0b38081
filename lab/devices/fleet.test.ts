import { describe, expect, it } from "vitest";
import { deviceObject } from "./device-object.ts";
import { SimulatorError } from "./errors.ts";
import { deviceLabels, generateFleet, rackCount } from "./fleet.ts";

describe("generateFleet", () => {
  const spec = { switches: 200, socs: 50, dpus: 30, bmcs: 20 };

  it("creates the requested number of each type with the documented names", () => {
    const fleet = generateFleet(spec);
    expect(fleet).toHaveLength(300);
    const byType = (t: string): number => fleet.filter((d) => d.type === t).length;
    expect([byType("switch"), byType("soc"), byType("dpu"), byType("bmc")]).toEqual([200, 50, 30, 20]);
    const names = fleet.map((d) => d.name);
    expect(names).toContain("tor1-01");
    expect(names).toContain("soc-node-15");
    expect(names).toContain("dpu-rack1-01");
    expect(names).toContain("bmc-rack1-01");
    expect(names).toContain("spine-01");
    expect(new Set(names).size).toBe(names.length);
  });

  it("labels type, role, rack and site; racks split over two sites", () => {
    const fleet = generateFleet(spec);
    expect(rackCount(spec)).toBe(15);
    const tor = fleet.find((d) => d.name === "tor1-01");
    expect(tor && deviceLabels(tor)).toEqual({ type: "switch", role: "tor", rack: "rack1", site: "site-a" });
    const spines = fleet.filter((d) => d.role === "spine");
    expect(spines).toHaveLength(10);
    const soc = fleet.find((d) => d.type === "soc");
    expect(soc && deviceLabels(soc)["role"]).toBeUndefined();
    expect(new Set(fleet.map((d) => d.site))).toEqual(new Set(["site-a", "site-b"]));
    expect(fleet.find((d) => d.rack === 15)?.site).toBe("site-b");
    for (const d of fleet)
      expect(d.name).toMatch(
        d.type === "switch" ? /^(tor\d+|spine)-\d{2,}$/ : /^(soc-node|dpu-rack\d+|bmc-rack\d+)-\d{2,}$/,
      );
  });

  it("is deterministic and objects depend only on the seed", () => {
    expect(generateFleet(spec)).toEqual(generateFleet(spec));
    const d = generateFleet({ dpus: 1 })[0];
    if (!d) throw new Error("no device");
    const a = deviceObject(d, "ns", 7);
    expect(deviceObject(d, "ns", 7)).toEqual(a);
    expect(deviceObject(d, "ns", 8)["spec"]).not.toEqual(a["spec"]);
    expect(a).toMatchObject({
      apiVersion: "azure.com/v1alpha1",
      kind: "DPU",
      metadata: { name: "dpu-rack1-01", namespace: "ns", labels: { type: "dpu", rack: "rack1", site: "site-a" } },
    });
    expect((a["spec"] as Record<string, string>)["macAddress"]).toMatch(/^02(:[0-9a-f]{2}){5}$/);
  });

  it("rejects invalid counts with a typed error", () => {
    expect(() => generateFleet({ switches: -1 })).toThrow(SimulatorError);
    expect(() => generateFleet({ socs: 1.5 })).toThrow(/non-negative integer/);
    expect(() => generateFleet({ switches: 2, spines: 3 })).toThrow(/spines/);
  });
});
