import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sha256, startArtifactServer, type ArtifactServer } from "../testing/artifact-server.ts";
import { authFor } from "./docker-config.ts";
import { fetchArtifact, pruneArtifacts } from "./fetch.ts";
import { parseOciRef } from "./oci.ts";

let srv: ArtifactServer;
let dir: string;
beforeAll(async () => {
  srv = await startArtifactServer();
});
afterAll(async () => {
  await srv.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-artifacts-"));
  return () => rm(dir, { recursive: true, force: true });
});

const opts = () => ({ dir, subject: "DeviceProcess ns/app", allowInsecureHttp: true, backoffMs: 10 });
const dockerConfig = (host: string, user = "puller", pass = "s3cret") =>
  JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${pass}`).toString("base64") } } });

describe("artifact fetching", () => {
  it("downloads over HTTP, verifies the sha256 and stores it executable under its checksum", async () => {
    const sum = srv.put("app-v1", "#!/bin/sh\necho v1\n");
    const got = await fetchArtifact({ type: "http", url: `${srv.url}/files/app-v1`, checksumSHA256: sum }, opts());
    expect(got.path).toBe(join(dir, sum, "app-v1"));
    expect(await readFile(got.path, "utf8")).toBe("#!/bin/sh\necho v1\n");
    expect((await stat(got.path)).mode & 0o111).not.toBe(0);
    const again = await fetchArtifact({ type: "http", url: `${srv.url}/files/app-v1`, checksumSHA256: sum }, opts());
    expect(again.reused).toBe(true);
  });

  it("refuses a checksum mismatch and installs nothing", async () => {
    srv.put("evil", "tampered");
    const wrong = sha256("expected content");
    await expect(
      fetchArtifact({ type: "http", url: `${srv.url}/files/evil`, checksumSHA256: wrong }, opts()),
    ).rejects.toMatchObject({
      kind: "ChecksumMismatch",
      code: "AGENT_CHECKSUM_MISMATCH",
      message: expect.stringMatching(
        /DeviceProcess ns\/app: checksum mismatch: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}.*nothing was installed/,
      ) as unknown,
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it("requires HTTPS unless insecure HTTP is allowed", async () => {
    const sum = srv.put("plain", "x");
    await expect(
      fetchArtifact(
        { type: "http", url: `${srv.url}/files/plain`, checksumSHA256: sum },
        { ...opts(), allowInsecureHttp: false },
      ),
    ).rejects.toMatchObject({
      kind: "InsecureSource",
      code: "AGENT_INSECURE_SOURCE",
      message: expect.stringMatching(/--allow-insecure-http/) as unknown,
    });
  });

  it("retries transient failures with exponential back-off", async () => {
    const sum = srv.put("flaky-app", "flaky but fine");
    srv.flaky("flaky-app", 2);
    const delays: number[] = [];
    const got = await fetchArtifact(
      { type: "http", url: `${srv.url}/flaky/flaky-app`, checksumSHA256: sum },
      { ...opts(), onRetry: (_a, _e, d) => delays.push(d) },
    );
    expect(await readFile(got.path, "utf8")).toBe("flaky but fine");
    expect(delays).toEqual([10, 20]);
  });

  it("does not retry a 404 and says which URL failed", async () => {
    let retries = 0;
    await expect(
      fetchArtifact(
        { type: "http", url: `${srv.url}/files/nope`, checksumSHA256: sha256("x") },
        { ...opts(), onRetry: () => retries++ },
      ),
    ).rejects.toThrow(/GET http:\/\/127\.0\.0\.1:\d+\/files\/nope: HTTP 404/);
    expect(retries).toBe(0);
  });

  it("copies pre-staged file:// artifacts with verification", async () => {
    const src = join(dir, "staged.bin");
    await writeFile(src, "staged");
    const got = await fetchArtifact(
      { type: "file", url: pathToFileURL(src).href, checksumSHA256: sha256("staged") },
      opts(),
    );
    expect(await readFile(got.path, "utf8")).toBe("staged");
    await expect(
      fetchArtifact({ type: "file", url: pathToFileURL(src).href, checksumSHA256: sha256("other") }, opts()),
    ).rejects.toMatchObject({ kind: "ChecksumMismatch", code: "AGENT_CHECKSUM_MISMATCH" });
  });

  it("pulls an OCI artifact: manifest, then blob by digest, with pull-secret (Bearer token) auth", async () => {
    const digest = srv.pushOci("apollo/switch-agent", "v1.2.3", "oci payload");
    srv.requests.length = 0;
    const got = await fetchArtifact(
      {
        type: "oci",
        url: `${srv.host}/apollo/switch-agent:v1.2.3`,
        checksumSHA256: digest,
        pullSecretRef: { name: "regcred" },
      },
      { ...opts(), dockerConfigJson: () => Promise.resolve(dockerConfig(srv.host)) },
    );
    expect(await readFile(got.path, "utf8")).toBe("oci payload");
    expect(srv.requests).toEqual([
      "GET /v2/apollo/switch-agent/manifests/v1.2.3",
      "GET /token",
      "GET /v2/apollo/switch-agent/manifests/v1.2.3",
      `GET /v2/apollo/switch-agent/blobs/sha256:${digest}`,
    ]);
  });

  it("fails OCI pulls with wrong credentials or a checksum not in the manifest", async () => {
    const digest = srv.pushOci("apollo/x", "v1", "payload x");
    await expect(
      fetchArtifact(
        { type: "oci", url: `${srv.host}/apollo/x:v1`, checksumSHA256: digest, pullSecretRef: { name: "regcred" } },
        { ...opts(), dockerConfigJson: () => Promise.resolve(dockerConfig(srv.host, "puller", "wrong")) },
      ),
    ).rejects.toThrow(/token endpoint .* answered 401; check the pull secret/);
    await expect(
      fetchArtifact(
        {
          type: "oci",
          url: `${srv.host}/apollo/x:v1`,
          checksumSHA256: sha256("else"),
          pullSecretRef: { name: "regcred" },
        },
        { ...opts(), dockerConfigJson: () => Promise.resolve(dockerConfig(srv.host)) },
      ),
    ).rejects.toMatchObject({ kind: "ChecksumMismatch", code: "AGENT_CHECKSUM_MISMATCH" });
  });

  it("parses OCI references and docker config auths", () => {
    expect(parseOciRef("ghcr.io/apollo/switch-agent:v1.2.3")).toEqual({
      host: "ghcr.io",
      repository: "apollo/switch-agent",
      reference: "v1.2.3",
    });
    expect(parseOciRef("reg:5000/a/b@sha256:abc")).toEqual({
      host: "reg:5000",
      repository: "a/b",
      reference: "sha256:abc",
    });
    expect(parseOciRef("reg:5000/a/b")).toMatchObject({ reference: "latest" });
    expect(
      authFor(JSON.stringify({ auths: { "https://reg:5000/v1/": { username: "u", password: "p" } } }), "reg:5000"),
    ).toEqual({ username: "u", password: "p" });
    expect(authFor(dockerConfig("other"), "reg:5000")).toBeUndefined();
  });

  it("prunes all but the kept versions", async () => {
    const a = srv.put("pa", "a");
    const b = srv.put("pb", "b");
    await fetchArtifact({ type: "http", url: `${srv.url}/files/pa`, checksumSHA256: a }, opts());
    await fetchArtifact({ type: "http", url: `${srv.url}/files/pb`, checksumSHA256: b }, opts());
    await pruneArtifacts(dir, [b]);
    expect(await readdir(dir)).toEqual([b]);
  });
});
