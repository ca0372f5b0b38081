/**
 * PKCS#10 certificate requests for the device identity, built with node:crypto (ECDSA P-256,
 * the key never leaves the device) and read back (subject + signature check) by an approver.
 * Identity: CN `bosun-device:<device>`, O `bosun:devices`.
 */
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { bitString, children, int0, oid, oidString, read, seq, set, tlv, utf8 } from "./der.ts";

export const DEVICE_USER_PREFIX = "bosun-device:";
export const DEVICE_GROUP = "bosun:devices";
export const OID_CN = "2.5.4.3";
export const OID_O = "2.5.4.10";
const OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2";

export const deviceCommonName = (device: string): string => `${DEVICE_USER_PREFIX}${device}`;

export function generateDeviceKey(): { privateKeyPem: string; privateKey: KeyObject; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return { privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), privateKey, publicKey };
}

function pem(label: string, der: Buffer): string {
  const b64 = der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export function buildCsr(
  subject: { commonName: string; organization: string },
  privateKey: KeyObject,
  publicKey: KeyObject,
): string {
  const name = seq(set(seq(oid(OID_O), utf8(subject.organization))), set(seq(oid(OID_CN), utf8(subject.commonName))));
  const spki = publicKey.export({ type: "spki", format: "der" });
  const info = seq(int0(), name, spki, tlv(0xa0, Buffer.alloc(0)));
  const signature = sign("sha256", info, privateKey); // DER ECDSA signature
  return pem("CERTIFICATE REQUEST", seq(info, seq(oid(OID_ECDSA_SHA256)), bitString(signature)));
}

export interface ParsedCsr {
  commonName?: string;
  organizations: string[];
  signatureValid: boolean;
}

/** Reads subject CN/O of a PEM CSR and checks its self-signature (ECDSA or RSA with SHA-256). */
export function parseCsr(pemText: string): ParsedCsr {
  const der = Buffer.from(pemText.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  const [info, , sig] = children(read(der));
  if (!info || !sig) throw new Error("not a PKCS#10 certificate request");
  const [, subject, spki] = children(info);
  if (!subject || !spki) throw new Error("certificate request without subject or public key");
  let commonName: string | undefined;
  const organizations: string[] = [];
  for (const rdn of children(subject)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      if (!type || !value) continue;
      const id = oidString(type.content);
      if (id === OID_CN) commonName = value.content.toString("utf8");
      if (id === OID_O) organizations.push(value.content.toString("utf8"));
    }
  }
  let signatureValid = false;
  try {
    const key = createPublicKey({ key: spki.raw, format: "der", type: "spki" });
    signatureValid = verify("sha256", info.raw, key, sig.content.subarray(1));
  } catch {
    signatureValid = false;
  }
  return { ...(commonName !== undefined ? { commonName } : {}), organizations, signatureValid };
}
