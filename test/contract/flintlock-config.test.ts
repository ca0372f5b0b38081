/**
 * `backends.flintlock` of the engine config (sinks/flintlock/config.ts): hosts over TCP (TLS/mTLS
 * from files) or a Unix socket, Basic token from an environment variable or a file, never inline.
 */
import { describe, expect, it } from "vitest";
import { parseFlintlockConfig } from "../../sinks/flintlock/index.ts";

const host = (over: Record<string, unknown> = {}) => ({
  name: "blade-a-01",
  address: "10.0.0.1:9090",
  capacity: { vcpu: 8, memoryMiB: 16384 },
  ...over,
});
const parse = (doc: unknown) => parseFlintlockConfig(doc, "engine config e.yaml");

describe("backends.flintlock", () => {
  it("reads TCP hosts with mTLS files and a token reference, and a Unix socket host", () => {
    const config = parse({
      timeoutMs: 5000,
      hosts: [
        host({
          labels: { pool: "blade-a" },
          tls: { caFile: "/etc/ca.crt", certFile: "/etc/c.crt", keyFile: "/etc/c.key" },
          basicAuth: { tokenEnv: "FLINTLOCK_TOKEN" },
        }),
        host({
          name: "blade-b-07",
          address: "unix:///run/flintlock/flintlock.sock",
          basicAuth: { tokenFile: "/etc/t" },
        }),
      ],
    });
    expect(config.timeoutMs).toBe(5000);
    expect(config.hosts[0]).toEqual({
      name: "blade-a-01",
      endpoint: {
        address: "10.0.0.1:9090",
        tls: { caFile: "/etc/ca.crt", certFile: "/etc/c.crt", keyFile: "/etc/c.key" },
        basicAuth: { tokenEnv: "FLINTLOCK_TOKEN" },
      },
      labels: { pool: "blade-a", "flintlock.bosun.dev/host": "blade-a-01" },
      capacity: { vcpu: 8, memoryMiB: 16384 },
    });
    expect(config.hosts[1]?.endpoint).toEqual({
      address: "unix:///run/flintlock/flintlock.sock",
      basicAuth: { tokenFile: "/etc/t" },
    });
  });

  it("refuses an inline secret, naming where and what to use instead", () => {
    expect(() => parse({ hosts: [host({ basicAuth: { token: "s3cret" } })] })).toThrow(
      "engine config e.yaml: backends.flintlock.hosts[0].basicAuth.token is not allowed: never put a secret inline; use tokenEnv or tokenFile",
    );
    expect(() => parse({ hosts: [host({ tls: { key: "-----BEGIN" } })] })).toThrow(
      /hosts\[0\]\.tls\.key is not allowed \(files only/,
    );
  });

  it("refuses what cannot work: no hosts, a bad address, no capacity, half an mTLS pair, a duplicate name", () => {
    expect(() => parse({ hosts: [] })).toThrow(/hosts must list at least one host/);
    expect(() => parse({ hosts: [host({ address: "http://x" })] })).toThrow(
      /address must be host:port or unix:\/\/\/path/,
    );
    expect(() => parse({ hosts: [host({ capacity: { vcpu: 0, memoryMiB: 1 } })] })).toThrow(
      /capacity needs vcpu and memoryMiB > 0/,
    );
    expect(() => parse({ hosts: [host({ tls: { caFile: "a", certFile: "b" } })] })).toThrow(
      /needs both certFile and keyFile/,
    );
    expect(() => parse({ hosts: [host(), host()] })).toThrow(/blade-a-01 is listed twice/);
    expect(() => parse({ hosts: [host({ basicAuth: { tokenEnv: "A", tokenFile: "/b" } })] })).toThrow(
      /exactly one of tokenEnv and tokenFile/,
    );
  });
});
