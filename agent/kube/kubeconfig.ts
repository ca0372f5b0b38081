/**
 * Reads the parts of a kubeconfig the agent needs (current context's server, CA, client
 * certificate/key or token). Files are resolved relative to the kubeconfig.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { AgentError } from "../errors.ts";
import { parseYamlSubset } from "./yaml-subset.ts";
import type { parse as YamlParse } from "yaml";
import type { TlsOptions } from "../net/request.ts";

export interface KubeConnectionConfig {
  server: string;
  tls: TlsOptions;
  token?: string;
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}
type Doc = {
  "current-context"?: string;
  clusters?: Named<Record<string, string | boolean>>[];
  users?: Named<Record<string, string>>[];
  contexts?: Named<{ cluster: string; user: string }>[];
};

/**
 * JSON, else the strict YAML subset reader, else the full `yaml` parser (imported only then, so a
 * device with an ordinary kubeconfig never loads it).
 */
export async function parseKubeconfigText(text: string): Promise<unknown> {
  if (text.trimStart().startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch {
      /* YAML flow mapping: the full parser below */
    }
  }
  const doc = parseYamlSubset(text);
  if (doc !== undefined) return doc;
  // A bundle may hand the CommonJS build over as the default export.
  const yaml = (await import("yaml")) as { parse: typeof YamlParse; default?: { parse: typeof YamlParse } };
  return (yaml.default?.parse ?? yaml.parse)(text) as unknown;
}

export async function loadKubeconfig(path: string): Promise<KubeConnectionConfig> {
  const subject = `kubeconfig ${path}`;
  let doc: Doc;
  try {
    doc = (await parseKubeconfigText(await readFile(path, "utf8"))) as Doc;
  } catch (err) {
    throw new AgentError("BadConfig", subject, `cannot read it: ${(err as Error).message}`, { cause: err });
  }
  const ctxName = doc["current-context"];
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context ?? doc.contexts?.[0]?.context;
  const cluster = (ctx ? doc.clusters?.find((c) => c.name === ctx.cluster) : doc.clusters?.[0])?.cluster;
  const user = (ctx ? doc.users?.find((u) => u.name === ctx.user) : doc.users?.[0])?.user ?? {};
  if (!cluster || typeof cluster["server"] !== "string")
    throw new AgentError("BadConfig", subject, "no cluster with a server in the current context");
  const base = dirname(path);
  const file = async (p: unknown): Promise<Buffer | undefined> =>
    typeof p === "string" ? readFile(resolve(base, p)) : undefined;
  const data = (d: unknown): Buffer | undefined => (typeof d === "string" ? Buffer.from(d, "base64") : undefined);
  const tls: TlsOptions = {};
  const ca = data(cluster["certificate-authority-data"]) ?? (await file(cluster["certificate-authority"]));
  const cert = data(user["client-certificate-data"]) ?? (await file(user["client-certificate"]));
  const key = data(user["client-key-data"]) ?? (await file(user["client-key"]));
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (cluster["insecure-skip-tls-verify"] === true) tls.insecureSkipVerify = true;
  const token =
    user["token"] ??
    (user["tokenFile"] ? (await readFile(resolve(base, user["tokenFile"]), "utf8")).trim() : undefined);
  return { server: cluster["server"], tls, ...(token ? { token } : {}) };
}
