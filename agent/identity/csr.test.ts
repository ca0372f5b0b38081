import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { buildCsr, deviceCommonName, generateDeviceKey, parseCsr } from "./csr.ts";
import { reviewDeviceCsr } from "./approver.ts";

describe("device CSR", () => {
  const k = generateDeviceKey();
  const csr = buildCsr(
    { commonName: deviceCommonName("tor1-01"), organization: "bosun:devices" },
    k.privateKey,
    k.publicKey,
  );

  it("is a valid PKCS#10 request openssl accepts, with the device subject", () => {
    const out = execFileSync("openssl", ["req", "-noout", "-verify", "-subject"], {
      input: csr,
      stdio: ["pipe", "pipe", "pipe"],
    }).toString();
    expect(out).toMatch(/O\s*=\s*bosun:devices, CN\s*=\s*bosun-device:tor1-01/);
  });

  it("reads back subject and signature", () => {
    expect(parseCsr(csr)).toEqual({
      commonName: "bosun-device:tor1-01",
      organizations: ["bosun:devices"],
      signatureValid: true,
    });
    const tampered = buildCsr(
      { commonName: deviceCommonName("tor1-02"), organization: "bosun:devices" },
      k.privateKey,
      generateDeviceKey().publicKey,
    );
    expect(parseCsr(tampered).signatureValid).toBe(false);
  });

  it("an approver accepts a device's own CSR and refuses others", () => {
    const request = Buffer.from(csr).toString("base64");
    const base = {
      spec: {
        request,
        signerName: "kubernetes.io/kube-apiserver-client",
        usages: ["digital signature", "client auth"],
        username: "system:bootstrap:abcdef",
        groups: ["system:bootstrappers", "system:bootstrappers:bosun-devices", "system:authenticated"],
      },
    };
    const known = (d: string) => d === "tor1-01";
    expect(reviewDeviceCsr(base, known)).toEqual({
      approve: true,
      device: "tor1-01",
      reason: "bootstrap token for a known device",
    });
    expect(
      reviewDeviceCsr({ spec: { ...base.spec, username: "bosun-device:tor1-01", groups: ["bosun:devices"] } }, known),
    ).toMatchObject({ approve: true });
    expect(
      reviewDeviceCsr({ spec: { ...base.spec, username: "bosun-device:tor1-99", groups: ["bosun:devices"] } }, known),
    ).toMatchObject({ approve: false });
    expect(reviewDeviceCsr({ spec: { ...base.spec, usages: ["server auth"] } }, known)).toMatchObject({
      approve: false,
    });
    expect(reviewDeviceCsr({ spec: { ...base.spec, username: "mallory", groups: [] } }, known)).toMatchObject({
      approve: false,
    });
    expect(reviewDeviceCsr(base, () => false)).toMatchObject({
      approve: false,
      reason: expect.stringMatching(/unknown device/) as unknown,
    });
  });
});
