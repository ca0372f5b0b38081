/**
 * A local artifact server for tests (127.0.0.1 only): plain files, a flaky path that fails with 503
 * before it answers, and a minimal OCI distribution endpoint (manifest by tag, blob by digest)
 * behind a Bearer token challenge whose token endpoint takes Basic credentials.
 */
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ArtifactServer {
  url: string;
  host: string;
  /** Serves `body` at /files/<name>; returns its sha256. */
  put(name: string, body: Buffer | string): string;
  /** /flaky/<name> fails `failures` times with 503, then serves the file. */
  flaky(name: string, failures: number): void;
  /** Pushes a single-layer OCI artifact repo:tag; returns the layer digest hex. */
  pushOci(repo: string, tag: string, layer: Buffer | string): string;
  requests: string[];
  close(): Promise<void>;
}

export const sha256 = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

export async function startArtifactServer(creds = { username: "puller", password: "s3cret" }): Promise<ArtifactServer> {
  const files = new Map<string, Buffer>();
  const flaky = new Map<string, number>();
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, string>();
  const token = randomBytes(16).toString("hex");
  const requests: string[] = [];
  const basic = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push(`${req.method} ${url.pathname}`);
    const send = (code: number, body?: Buffer | string, headers: Record<string, string> = {}): void => {
      res.writeHead(code, headers).end(body);
    };
    if (url.pathname.startsWith("/files/")) {
      const f = files.get(url.pathname.slice(7));
      return f ? send(200, f) : send(404, "not found");
    }
    if (url.pathname.startsWith("/flaky/")) {
      const name = url.pathname.slice(7);
      const left = flaky.get(name) ?? 0;
      if (left > 0) {
        flaky.set(name, left - 1);
        return send(503, "try later");
      }
      const f = files.get(name);
      return f ? send(200, f) : send(404, "not found");
    }
    if (url.pathname === "/token") {
      if (req.headers.authorization !== basic) return send(401, "bad credentials");
      return send(200, JSON.stringify({ token }), { "content-type": "application/json" });
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (m) {
      if (req.headers.authorization !== `Bearer ${token}`) {
        return send(401, "", {
          "www-authenticate": `Bearer realm="http://${req.headers.host ?? ""}/token",service="lab-registry",scope="repository:${m[1] ?? ""}:pull"`,
        });
      }
      if (m[2] === "manifests") {
        const man = manifests.get(`${m[1] ?? ""}:${m[3] ?? ""}`);
        return man
          ? send(200, man, { "content-type": "application/vnd.oci.image.manifest.v1+json" })
          : send(404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      }
      const b = blobs.get(m[3] ?? "");
      return b
        ? send(200, b, { "content-type": "application/octet-stream" })
        : send(404, '{"errors":[{"code":"BLOB_UNKNOWN"}]}');
    }
    send(404, "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    put(name, body) {
      const b = Buffer.from(body);
      files.set(name, b);
      return sha256(b);
    },
    flaky(name, failures) {
      flaky.set(name, failures);
    },
    pushOci(repo, tag, layer) {
      const b = Buffer.from(layer);
      const digest = sha256(b);
      blobs.set(`sha256:${digest}`, b);
      const config = Buffer.from("{}");
      blobs.set(`sha256:${sha256(config)}`, config);
      manifests.set(
        `${repo}:${tag}`,
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: {
            mediaType: "application/vnd.oci.empty.v1+json",
            digest: `sha256:${sha256(config)}`,
            size: config.length,
          },
          layers: [{ mediaType: "application/octet-stream", digest: `sha256:${digest}`, size: b.length }],
        }),
      );
      return digest;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
