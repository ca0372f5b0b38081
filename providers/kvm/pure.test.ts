import { describe, expect, it } from "vitest";
import { setCondition } from "./conditions.ts";
import { domainName, parseProviderID, providerID } from "./naming.ts";
import { parseSize } from "./quantity.ts";
import { WorkQueue } from "./work-queue.ts";

describe("sizes", () => {
  it("reads Kubernetes quantities and the seed's GB spelling", () => {
    expect(parseSize("m", "1Gi")).toBe(2 ** 30);
    expect(parseSize("m", "512Mi")).toBe(512 * 2 ** 20);
    expect(parseSize("m", "1.5Gi")).toBe(1.5 * 2 ** 30);
    expect(parseSize("m", "20G")).toBe(20e9);
    expect(parseSize("m", "8GB")).toBe(8e9);
    expect(parseSize("m", 4096)).toBe(4096);
  });
  it("names the field and what is accepted", () => {
    expect((parseSize("spec.resources.memory", "lots") as Error).message).toBe(
      'spec.resources.memory: "lots" is not a size (use e.g. 1Gi, 512Mi, 20G or 8GB)',
    );
    expect((parseSize("spec.resources.disk", undefined) as Error).message).toBe("spec.resources.disk is missing");
  });
});

describe("names", () => {
  it("a domain name is stable for namespace/name/uid, different for another uid, libvirt-safe", () => {
    const a = domainName("acme", "worker-0", "uid-1");
    expect(a).toBe(domainName("acme", "worker-0", "uid-1"));
    expect(a).not.toBe(domainName("acme", "worker-0", "uid-2"));
    expect(a).toMatch(/^kvm-acme-worker-0-[0-9a-f]{10}$/);
    expect(domainName("n".repeat(63), "m".repeat(253), "u").length).toBeLessThanOrEqual(4 + 60 + 11);
  });
  it("providerIDs round-trip; others are not ours", () => {
    const id = providerID("hv1", "4465ebef-8fb7-4d12-871a-ff9dcefefb0b");
    expect(id).toBe("kvm://hv1/4465ebef-8fb7-4d12-871a-ff9dcefefb0b");
    expect(parseProviderID(id)).toEqual({ host: "hv1", uuid: "4465ebef-8fb7-4d12-871a-ff9dcefefb0b" });
    expect(parseProviderID("microvm://hv1/abc")).toBeUndefined();
    expect(parseProviderID(undefined)).toBeUndefined();
  });
});

describe("conditions", () => {
  it("lastTransitionTime moves only when the status changes; sorted by type", () => {
    const t1 = new Date("2026-01-01T00:00:00Z");
    const t2 = new Date("2026-01-01T00:01:00Z");
    let c = setCondition(undefined, { type: "Ready", status: "False", reason: "A" }, t1);
    c = setCondition(c, { type: "DomainReady", status: "False", reason: "A" }, t1);
    c = setCondition(c, { type: "Ready", status: "False", reason: "B", message: "m" }, t2);
    expect(c).toEqual([
      { type: "DomainReady", status: "False", reason: "A", lastTransitionTime: t1.toISOString() },
      { type: "Ready", status: "False", reason: "B", message: "m", lastTransitionTime: t1.toISOString() },
    ]);
    c = setCondition(c, { type: "Ready", status: "True", reason: "Ready" }, t2);
    expect(c[1]).toEqual({ type: "Ready", status: "True", reason: "Ready", lastTransitionTime: t2.toISOString() });
  });
});

describe("work queue", () => {
  it("never runs a key twice at once, re-runs a key added while it runs, backs off failures", async () => {
    const runs: string[] = [];
    let active = 0;
    let maxActive = 0;
    let release: (() => void) | undefined;
    let failA = 2;
    const q = new WorkQueue(
      async (key) => {
        runs.push(key);
        active++;
        maxActive = Math.max(maxActive, active);
        if (key === "b" && runs.filter((k) => k === "b").length === 1) await new Promise<void>((r) => (release = r));
        active--;
        if (key === "a" && failA-- > 0) return { error: "boom" };
        return {};
      },
      { concurrency: 1, baseBackoffMs: 1, maxBackoffMs: 5, onError: () => undefined },
    );
    q.add("b");
    q.add("b"); // queued behind the running b: runs again after
    q.add("a");
    q.add("a"); // already waiting: once
    await new Promise((r) => setImmediate(r));
    release?.();
    while (runs.filter((k) => k === "a").length < 3 || q.depth > 0) await new Promise((r) => setTimeout(r, 2));
    q.stop();
    expect(maxActive).toBe(1);
    expect(runs.filter((k) => k === "b")).toHaveLength(2);
    expect(runs.filter((k) => k === "a")).toHaveLength(3); // two failures, then success; no more
  });
});
