import { describe, expect, it } from "vitest";
import { joinUserData } from "../kubeadm.ts";
import { CloudInitError, parseCloudConfig, parseKubeadmJoin, redactJoin } from "./cloud-init.ts";

const HASH = `sha256:${"ab".repeat(32)}`;

describe("the simulated worker's cloud-init", () => {
  it("reads the join data joinUserData writes", () => {
    const cfg = parseCloudConfig(
      joinUserData({
        endpoint: "127.0.0.1:6443",
        token: "abcdef.0123456789abcdef",
        caCertHash: HASH,
        hostname: "acme-w1",
      }),
    );
    expect(cfg.hostname).toBe("acme-w1");
    expect(cfg.join).toEqual({ endpoint: "127.0.0.1:6443", token: "abcdef.0123456789abcdef", caCertHashes: [HASH] });
  });

  it("reads write_files (base64 too) and runcmd in list form, and --flag=value", () => {
    const cfg = parseCloudConfig(
      [
        "#cloud-config",
        "write_files:",
        "  - path: /etc/a",
        "    content: aGVsbG8=",
        "    encoding: b64",
        "runcmd:",
        `  - [kubeadm, join, "10.0.0.1:6443", --token=abcdef.0123456789abcdef, --discovery-token-ca-cert-hash, "${HASH}", --node-name, w-9]`,
      ].join("\n"),
    );
    expect(cfg.writeFiles).toEqual([{ path: "/etc/a", content: "hello" }]);
    expect(cfg.join?.nodeName).toBe("w-9");
    expect(cfg.join?.endpoint).toBe("10.0.0.1:6443");
  });

  it("refuses other formats and incomplete joins, without printing the token secret", () => {
    expect(() => parseCloudConfig("#!/bin/sh\necho hi")).toThrow(CloudInitError);
    expect(() => parseKubeadmJoin("kubeadm join 1.2.3.4:6443 --token abcdef.0123456789abcdef")).toThrow(
      /discovery-token-ca-cert-hash/,
    );
    const noEndpoint = (() => {
      try {
        parseKubeadmJoin("kubeadm join --token abcdef.0123456789abcdef");
        return "did not throw";
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(noEndpoint).toBe("kubeadm join without an API server endpoint: kubeadm join --token abcdef.<redacted>");
    expect(parseKubeadmJoin("echo hello")).toBeUndefined();
    expect(redactJoin("kubeadm join x --token abcdef.0123456789abcdef")).toBe(
      "kubeadm join x --token abcdef.<redacted>",
    );
  });
});
