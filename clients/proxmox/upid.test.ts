import { describe, expect, it } from "vitest";
import { formatUpid, parseUpid, taskSucceeded } from "./upid.ts";

describe("UPIDs", () => {
  it("parses the README's example, token user and trailing colon included", () => {
    expect(parseUpid("UPID:pve1:000A1B2C:0123ABCD:66F0C0DE:qmstart:100:root@pam!gitops:")).toEqual({
      node: "pve1",
      pid: 0x000a1b2c,
      pstart: 0x0123abcd,
      starttime: 0x66f0c0de,
      type: "qmstart",
      id: "100",
      user: "root@pam!gitops",
    });
  });

  it("accepts a 9-digit pstart and an empty id; refuses what is not a UPID", () => {
    expect(parseUpid("UPID:n-1:00000001:123456789:00000002:vzdump::root@pam:")?.pstart).toBe(0x123456789);
    expect(parseUpid("UPID:n-1:00000001:12345678:00000002:vzdump::root@pam:")?.id).toBe("");
    expect(parseUpid("UPID:pve1:000A1B2C:0123ABCD:66F0C0DE:qmstart:100:root@pam")).toBeUndefined(); // no trailing colon
    expect(parseUpid("UPID:-pve:000A1B2C:0123ABCD:66F0C0DE:qmstart:100:root@pam:")).toBeUndefined();
    expect(parseUpid("not a upid")).toBeUndefined();
  });

  it("formats what it parses", () => {
    const u = {
      node: "pve2",
      pid: 77,
      pstart: 0xabc,
      starttime: 1_700_000_000,
      type: "qmclone",
      id: "9000",
      user: "bosun@pve!gitops",
    };
    const text = formatUpid(u);
    expect(text).toBe("UPID:pve2:0000004D:00000ABC:6553F100:qmclone:9000:bosun@pve!gitops:");
    expect(parseUpid(text)).toEqual(u);
  });

  it("a task succeeded only with OK or WARNINGS: n", () => {
    expect(taskSucceeded("OK")).toBe(true);
    expect(taskSucceeded("WARNINGS: 2")).toBe(true);
    expect(taskSucceeded("unexpected status")).toBe(false);
    expect(taskSucceeded("VM 100 already running")).toBe(false);
    expect(taskSucceeded(undefined)).toBe(false);
  });
});
