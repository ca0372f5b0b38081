import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFlightctlConfig } from "./config.ts";

describe("backends.flightctl", () => {
  it("reads the token from the environment or a file, never inline, and the CA from a file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bosun-flightctl-config-"));
    try {
      await writeFile(join(dir, "token"), "s3cr3t\n");
      await writeFile(join(dir, "ca.crt"), "-----BEGIN CERTIFICATE-----\n");
      const c = parseFlightctlConfig(
        { url: "https://fc.example", tokenFile: join(dir, "token"), caFile: join(dir, "ca.crt") },
        "engine.yaml",
      );
      expect(c).toMatchObject({
        token: "s3cr3t",
        ca: "-----BEGIN CERTIFICATE-----\n",
        insecureSkipVerify: false,
        offlineTimeoutMs: 300_000,
      });
      expect(parseFlightctlConfig({ url: "https://fc.example", tokenEnv: "T" }, "e", { T: "abc" }).token).toBe("abc");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses what cannot work, naming the setting and the fix, without the secret", () => {
    expect(() => parseFlightctlConfig({ url: "http://fc.example" }, "engine.yaml")).toThrow(
      /engine\.yaml: backends\.flightctl\.url must be the API server's https:\/\/ address/,
    );
    expect(() => parseFlightctlConfig({ url: "https://fc", tokenEnv: "NOPE" }, "engine.yaml", {})).toThrow(
      /tokenEnv: the environment variable NOPE is empty or unset; export the Flightctl token there/,
    );
    expect(() => parseFlightctlConfig({ url: "https://fc", token: "inline-secret" }, "engine.yaml")).toThrow(
      /token is not a setting \(settings: url, tokenEnv, tokenFile/,
    );
    try {
      parseFlightctlConfig({ url: "https://fc", token: "inline-secret" }, "engine.yaml");
    } catch (e) {
      expect(String(e)).not.toContain("inline-secret");
    }
    expect(() => parseFlightctlConfig({ url: "https://fc", virtualNode: { name: "Bad Name" } }, "e")).toThrow(
      /virtualNode\.name must be a DNS name/,
    );
  });

  it("defaults the virtual node's name to vk-flightctl-node", () => {
    expect(parseFlightctlConfig({ url: "https://fc", virtualNode: {} }, "e").virtualNode).toEqual({
      name: "vk-flightctl-node",
      heartbeatSeconds: 10,
    });
  });
});
