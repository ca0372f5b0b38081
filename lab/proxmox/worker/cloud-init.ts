/**
 * What the simulated worker understands of its cloud-init data: a `#cloud-config` user data with
 * `hostname`, `write_files` (written under the VM's disk folder) and `runcmd`, whose
 * `kubeadm join <endpoint> --token <id.secret> --discovery-token-ca-cert-hash sha256:<hex>
 * [--node-name <name>]` it carries out the way kubeadm + kubelet TLS bootstrap do (kubelet.ts).
 */
import { parse } from "yaml";

export interface JoinCommand {
  /** `host:port` of the tenant kube-apiserver. */
  readonly endpoint: string;
  /** Bootstrap token `abcdef.0123456789abcdef`. */
  readonly token: string;
  /** `sha256:<hex>` pins of the cluster CA's public key (any may match). */
  readonly caCertHashes: readonly string[];
  readonly nodeName?: string;
}

export interface WriteFile {
  readonly path: string;
  readonly content: string;
  readonly permissions?: string;
}

export interface CloudConfig {
  readonly hostname?: string;
  readonly writeFiles: readonly WriteFile[];
  readonly runcmd: readonly string[];
  readonly join?: JoinCommand;
}

export class CloudInitError extends Error {
  override readonly name = "CloudInitError";
}

/** Reads `#cloud-config` user data; other formats (scripts, MIME multipart) are refused. */
export function parseCloudConfig(userData: string): CloudConfig {
  if (!userData.startsWith("#cloud-config"))
    throw new CloudInitError("user data is not #cloud-config (the lab worker reads only that format)");
  const doc = (parse(userData) ?? {}) as Record<string, unknown>;
  const writeFiles: WriteFile[] = [];
  for (const f of (doc["write_files"] as unknown[] | undefined) ?? []) {
    const o = f as Record<string, unknown>;
    if (typeof o["path"] !== "string") throw new CloudInitError("write_files entry without a path");
    const encoding = o["encoding"];
    const raw = typeof o["content"] === "string" ? o["content"] : "";
    const content = encoding === "b64" || encoding === "base64" ? Buffer.from(raw, "base64").toString("utf8") : raw;
    writeFiles.push({
      path: o["path"],
      content,
      ...(typeof o["permissions"] === "string" ? { permissions: o["permissions"] } : {}),
    });
  }
  const runcmd = ((doc["runcmd"] as unknown[] | undefined) ?? []).map((c) =>
    Array.isArray(c) ? c.map(String).join(" ") : String(c),
  );
  let join: JoinCommand | undefined;
  for (const c of runcmd) {
    const j = parseKubeadmJoin(c);
    if (j) join = j;
  }
  return {
    ...(typeof doc["hostname"] === "string" ? { hostname: doc["hostname"] } : {}),
    writeFiles,
    runcmd,
    ...(join ? { join } : {}),
  };
}

/** `kubeadm join …` → its arguments, or undefined for another command. */
export function parseKubeadmJoin(command: string): JoinCommand | undefined {
  const words = command.trim().split(/\s+/);
  const at = words.findIndex((w, i) => w.endsWith("kubeadm") && words[i + 1] === "join");
  if (at < 0) return undefined;
  const args = words.slice(at + 2);
  let endpoint: string | undefined;
  let token: string | undefined;
  const hashes: string[] = [];
  let nodeName: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const [flag, inline] =
      a.startsWith("--") && a.includes("=")
        ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
        : [a, undefined];
    const value = (): string => inline ?? (args[++i] as string);
    if (flag === "--token" || flag === "--discovery-token") token = value();
    else if (flag === "--discovery-token-ca-cert-hash") hashes.push(value());
    else if (flag === "--node-name") nodeName = value();
    else if (!flag.startsWith("--") && endpoint === undefined) endpoint = flag;
    else if (flag.startsWith("--") && inline === undefined && args[i + 1] && !args[i + 1]?.startsWith("--")) i++;
  }
  if (!endpoint) throw new CloudInitError(`kubeadm join without an API server endpoint: ${redactJoin(command)}`);
  if (!token || !/^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(token))
    throw new CloudInitError(`kubeadm join without a valid --token: ${redactJoin(command)}`);
  if (hashes.length === 0 || hashes.some((h) => !/^sha256:[0-9a-f]{64}$/.test(h)))
    throw new CloudInitError(
      `kubeadm join needs --discovery-token-ca-cert-hash sha256:<64 hex>: ${redactJoin(command)}`,
    );
  return { endpoint, token, caCertHashes: hashes, ...(nodeName ? { nodeName } : {}) };
}

/** The command with the token's secret half replaced (for logs and errors). */
export function redactJoin(command: string): string {
  return command.replace(/([a-z0-9]{6})\.[a-z0-9]{16}/g, "$1.<redacted>");
}
