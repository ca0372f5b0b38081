/**
 * OCI distribution API (pull side): GET the manifest, pick the layer whose digest is the expected
 * sha256, GET that blob. Handles the registry auth challenge: Bearer (token endpoint with Basic
 * credentials from the pull secret) or Basic.
 */
import type { IncomingMessage } from "node:http";
import { AgentError } from "../errors.ts";
import { readBody, request, type TlsOptions } from "../net/request.ts";
import type { RegistryAuth } from "./docker-config.ts";

export interface OciRef {
  host: string;
  repository: string;
  reference: string;
}

/** "host[:port]/repo/path(:tag|@sha256:…)" → parts. The host is required (no Docker Hub default). */
export function parseOciRef(url: string): OciRef {
  const s = url.replace(/^oci:\/\//, "");
  const slash = s.indexOf("/");
  if (slash < 0) throw new Error(`"${url}" is not an OCI reference of the form host/repository:tag`);
  const host = s.slice(0, slash);
  let rest = s.slice(slash + 1);
  let reference = "latest";
  const at = rest.indexOf("@");
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  return { host, repository: rest, reference };
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

interface Manifest {
  layers?: { digest: string; size?: number; mediaType?: string }[];
  blobs?: { digest: string }[];
}

export interface OciFetchOptions {
  scheme: "https" | "http";
  auth?: RegistryAuth;
  tls?: TlsOptions;
  signal?: AbortSignal;
  subject: string;
}

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const sp = header.indexOf(" ");
  const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(sp + 1).matchAll(/(\w+)="([^"]*)"/g))
    if (m[1] && m[2] !== undefined) params[m[1]] = m[2];
  return { scheme, params };
}

class Session {
  private authorization: string | undefined;
  constructor(
    private readonly ref: OciRef,
    private readonly o: OciFetchOptions,
  ) {}

  private url(path: string): string {
    return `${this.o.scheme}://${this.ref.host}/v2/${this.ref.repository}/${path}`;
  }

  async get(path: string, accept?: string): Promise<IncomingMessage> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = {};
      if (accept) headers["accept"] = accept;
      if (this.authorization) headers["authorization"] = this.authorization;
      const res = await request(this.url(path), {
        headers,
        maxRedirects: 5,
        ...(this.o.tls ? { tls: this.o.tls } : {}),
        ...(this.o.signal ? { signal: this.o.signal } : {}),
      });
      if (res.statusCode === 401 && attempt === 0) {
        res.resume();
        await this.authenticate(String(res.headers["www-authenticate"] ?? ""));
        continue;
      }
      return res;
    }
    throw new Error("unreachable");
  }

  private async authenticate(challenge: string): Promise<void> {
    const { scheme, params } = parseChallenge(challenge);
    const creds = this.o.auth;
    const basic = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}` : undefined;
    if (scheme === "basic") {
      if (!basic)
        throw new AgentError(
          "DownloadFailed",
          this.o.subject,
          `registry ${this.ref.host} wants credentials: set spec.artifact.pullSecretRef`,
        );
      this.authorization = basic;
      return;
    }
    if (scheme !== "bearer" || !params["realm"])
      throw new AgentError(
        "DownloadFailed",
        this.o.subject,
        `registry ${this.ref.host} sent an unsupported auth challenge "${scheme}"`,
      );
    const tokenUrl = new URL(params["realm"]);
    if (params["service"]) tokenUrl.searchParams.set("service", params["service"]);
    tokenUrl.searchParams.set("scope", params["scope"] ?? `repository:${this.ref.repository}:pull`);
    const res = await request(tokenUrl, {
      headers: basic ? { authorization: basic } : {},
      ...(this.o.tls ? { tls: this.o.tls } : {}),
      ...(this.o.signal ? { signal: this.o.signal } : {}),
    });
    const body = await readBody(res, 1024 * 1024);
    if (res.statusCode !== 200)
      throw new AgentError(
        "DownloadFailed",
        this.o.subject,
        `registry token endpoint ${tokenUrl.origin} answered ${res.statusCode}; check the pull secret`,
      );
    const json = JSON.parse(body) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token)
      throw new AgentError(
        "DownloadFailed",
        this.o.subject,
        `registry token endpoint ${tokenUrl.origin} returned no token`,
      );
    this.authorization = `Bearer ${token}`;
  }
}

/** Opens the blob stream of the layer with digest sha256:<expectedSha256>. */
export async function openOciBlob(url: string, expectedSha256: string, o: OciFetchOptions): Promise<IncomingMessage> {
  const ref = parseOciRef(url);
  const s = new Session(ref, o);
  const mres = await s.get(`manifests/${ref.reference}`, MANIFEST_TYPES);
  const mbody = await readBody(mres, 4 * 1024 * 1024);
  if (mres.statusCode !== 200) throw httpError(o.subject, `manifest ${url}`, mres.statusCode ?? 0);
  const manifest = JSON.parse(mbody) as Manifest;
  const layers = manifest.layers ?? manifest.blobs ?? [];
  const want = `sha256:${expectedSha256.toLowerCase()}`;
  const layer = layers.find((l) => l.digest === want);
  if (!layer) {
    throw new AgentError(
      "ChecksumMismatch",
      o.subject,
      `checksum mismatch: manifest ${url} has no layer ${want} (layers: ${layers.map((l) => l.digest).join(", ") || "none"}); nothing was installed`,
    );
  }
  const bres = await s.get(`blobs/${layer.digest}`);
  if (bres.statusCode !== 200) {
    bres.resume();
    throw httpError(o.subject, `blob ${layer.digest}`, bres.statusCode ?? 0);
  }
  return bres;
}

export function httpError(subject: string, what: string, status: number): AgentError {
  const err = new AgentError("DownloadFailed", subject, `${what}: HTTP ${status}`);
  (err as AgentError & { httpStatus?: number }).httpStatus = status;
  return err;
}
