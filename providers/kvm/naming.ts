import { createHash } from "node:crypto";
import { PROVIDER_ID_SCHEME } from "./model.ts";

/**
 * The libvirt domain of a KVMMachine: derived from namespace, name and uid only, so a provider killed mid-create
 * finds the domain it defined before (no duplicate) and a KVMMachine recreated under the same name gets a new one.
 * Readable prefix, then a hash that keeps it unique and within libvirt's limits.
 */
export function domainName(namespace: string, name: string, uid: string): string {
  const hash = createHash("sha256").update(`${namespace}/${name}/${uid}`).digest("hex").slice(0, 10);
  const readable = `${namespace}-${name}`.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 60);
  return `kvm-${readable}-${hash}`;
}

/** `kvm://<host>/<domain uuid>`. */
export function providerID(host: string, uuid: string): string {
  return `${PROVIDER_ID_SCHEME}://${host}/${uuid}`;
}

/** The host and domain UUID of a providerID, or undefined when it is not one of ours. */
export function parseProviderID(id: string | undefined): { host: string; uuid: string } | undefined {
  const m = /^kvm:\/\/([^/]+)\/([0-9a-fA-F-]{36})$/.exec(id ?? "");
  return m ? { host: m[1] as string, uuid: (m[2] as string).toLowerCase() } : undefined;
}
