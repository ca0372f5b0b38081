import { DiagnosticCode } from "../model/diagnostic.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface NameProblem {
  readonly code: DiagnosticCode;
  readonly message: string;
}

/** Kubernetes object names: DNS-1123 subdomain (≤ 253), or DNS-1123 label (≤ 63) when `label`. */
export function checkName(name: unknown, what: "name" | "namespace", label: boolean): NameProblem | undefined {
  if (typeof name !== "string") return undefined; // the schema reports the type
  if (name.trim() === "")
    return { code: DiagnosticCode.EmptyName, message: `metadata.${what} is empty; give the object a ${what}` };
  const max = label ? 63 : 253;
  const pattern = label ? DNS_LABEL : DNS_SUBDOMAIN;
  if (name.length > max || !pattern.test(name)) {
    return {
      code: DiagnosticCode.InvalidName,
      message: `metadata.${what} ${JSON.stringify(name)} is not a valid Kubernetes ${what}: use at most ${max} lowercase letters, digits and '-'${label ? "" : " or '.'"}, starting and ending with a letter or digit`,
    };
  }
  return undefined;
}
