/**
 * Review of device CSRs (pure), for whoever approves them (the engine, or an operator's tool):
 * approve only a kube-apiserver-client CSR with client-auth usages, subject
 * CN=bosun-device:<device>/O=bosun:devices and a valid self-signature, requested either with a
 * bootstrap token (group system:bootstrappers) or by that same device renewing its certificate,
 * for a device the inventory knows. kube-controller-manager does not auto-approve this signer.
 */
import { DEVICE_GROUP, DEVICE_USER_PREFIX, parseCsr } from "./csr.ts";

export interface CsrObject {
  spec: { request: string; signerName: string; usages?: string[]; username?: string; groups?: string[] };
}

export interface Review {
  approve: boolean;
  device?: string;
  reason: string;
}

const ALLOWED_USAGES = new Set(["digital signature", "key encipherment", "client auth"]);

export function reviewDeviceCsr(csr: CsrObject, knownDevice: (device: string) => boolean): Review {
  const s = csr.spec;
  if (s.signerName !== "kubernetes.io/kube-apiserver-client")
    return { approve: false, reason: `signer ${s.signerName} is not for devices` };
  if (!s.usages?.includes("client auth") || s.usages.some((u) => !ALLOWED_USAGES.has(u)))
    return { approve: false, reason: "usages must be client auth (+ digital signature / key encipherment)" };
  let parsed;
  try {
    parsed = parseCsr(Buffer.from(s.request, "base64").toString("utf8"));
  } catch (err) {
    return { approve: false, reason: `unreadable request: ${(err as Error).message}` };
  }
  if (!parsed.signatureValid) return { approve: false, reason: "request signature is invalid" };
  const cn = parsed.commonName ?? "";
  if (!cn.startsWith(DEVICE_USER_PREFIX) || parsed.organizations.join(",") !== DEVICE_GROUP)
    return { approve: false, reason: `subject must be CN=${DEVICE_USER_PREFIX}<device>, O=${DEVICE_GROUP}` };
  const device = cn.slice(DEVICE_USER_PREFIX.length);
  const bootstrap =
    (s.groups ?? []).includes("system:bootstrappers") && (s.username ?? "").startsWith("system:bootstrap:");
  const renewal = s.username === cn && (s.groups ?? []).includes(DEVICE_GROUP);
  if (!bootstrap && !renewal)
    return {
      approve: false,
      device,
      reason: `requester ${s.username ?? "?"} is neither a bootstrap token nor the device itself`,
    };
  if (!knownDevice(device)) return { approve: false, device, reason: `unknown device ${device}` };
  return {
    approve: true,
    device,
    reason: bootstrap ? "bootstrap token for a known device" : "renewal by the device itself",
  };
}
