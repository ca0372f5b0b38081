/**
 * Encoding Bosun's typed changes as Proxmox parameters: property strings (`ipconfig0`, `cicustom`),
 * the URL-encoded `sshkeys`, `0/1` booleans, and the form body of POST/PUT.
 */
import type { CiCustom, CloneOptions, IpConfig, VmConfigUpdate } from "./types.ts";

export type Params = Record<string, string | number>;

/** `ip=…,gw=…` in the order the API documents. */
export function ipConfigString(c: IpConfig): string {
  const parts: string[] = [];
  if (c.gw !== undefined) parts.push(`gw=${c.gw}`);
  if (c.gw6 !== undefined) parts.push(`gw6=${c.gw6}`);
  if (c.ip !== undefined) parts.push(`ip=${c.ip}`);
  if (c.ip6 !== undefined) parts.push(`ip6=${c.ip6}`);
  return parts.join(",");
}

/** `user=<volume>,…`. */
export function ciCustomString(c: CiCustom): string {
  const parts: string[] = [];
  for (const k of ["meta", "network", "user", "vendor"] as const) if (c[k] !== undefined) parts.push(`${k}=${c[k]}`);
  return parts.join(",");
}

/** Reads a `key=value,…` property string; a bare first value goes to `defaultKey`. */
export function parsePropertyString(text: string, defaultKey?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0) {
      if (defaultKey) out[defaultKey] = part;
      continue;
    }
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/**
 * `sshkeys` as qemu-server wants it: the keys joined by newlines, then URI-encoded with `%20` for
 * spaces (PVE checks `^[-%a-zA-Z0-9_.!~*'()]*$`), then form-encoded again by the transport.
 */
export function encodeSshKeys(keys: readonly string[]): string {
  return encodeURIComponent(keys.join("\n"));
}

export function decodeSshKeys(value: string): string[] {
  return decodeURIComponent(value)
    .split("\n")
    .filter((l) => l.trim() !== "");
}

export function configParams(u: VmConfigUpdate): Params {
  const p: Params = {};
  if (u.name !== undefined) p["name"] = u.name;
  if (u.cores !== undefined) p["cores"] = u.cores;
  if (u.sockets !== undefined) p["sockets"] = u.sockets;
  if (u.memory !== undefined) p["memory"] = String(u.memory);
  if (u.description !== undefined) p["description"] = u.description;
  if (u.tags !== undefined) p["tags"] = u.tags.join(";");
  if (u.onboot !== undefined) p["onboot"] = u.onboot ? 1 : 0;
  if (u.agent !== undefined) p["agent"] = u.agent ? "1" : "0";
  if (u.ciuser !== undefined) p["ciuser"] = u.ciuser;
  if (u.sshkeys !== undefined) p["sshkeys"] = encodeSshKeys(u.sshkeys);
  for (const [i, c] of Object.entries(u.ipconfig ?? {})) p[`ipconfig${i}`] = ipConfigString(c);
  if (u.nameserver !== undefined) p["nameserver"] = u.nameserver;
  if (u.searchdomain !== undefined) p["searchdomain"] = u.searchdomain;
  if (u.cicustom !== undefined) p["cicustom"] = ciCustomString(u.cicustom);
  if (u.delete !== undefined && u.delete.length > 0) p["delete"] = u.delete.join(",");
  if (u.digest !== undefined) p["digest"] = u.digest;
  return p;
}

export function cloneParams(o: CloneOptions): Params {
  const p: Params = { newid: o.newid };
  if (o.name !== undefined) p["name"] = o.name;
  if (o.full !== undefined) p["full"] = o.full ? 1 : 0;
  if (o.target !== undefined) p["target"] = o.target;
  if (o.storage !== undefined) p["storage"] = o.storage;
  if (o.pool !== undefined) p["pool"] = o.pool;
  if (o.description !== undefined) p["description"] = o.description;
  if (o.snapname !== undefined) p["snapname"] = o.snapname;
  if (o.format !== undefined) p["format"] = o.format;
  return p;
}

/** Form body (`application/x-www-form-urlencoded`), keys sorted for deterministic requests. */
export function formBody(params: Params): string {
  const u = new URLSearchParams();
  for (const k of Object.keys(params).sort()) u.append(k, String(params[k]));
  return u.toString();
}
