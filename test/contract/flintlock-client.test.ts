/**
 * The Flintlock client against the lab flintlockd (simulated provider), over real gRPC: TCP with
 * mTLS and TLS, a Unix socket, Basic auth; the API's asynchronous create and delete, lists and
 * list-streams, its error codes and texts; and servers that are down, hang or answer garbage.
 */
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlintlockClient, FlintlockError, SERVICE, type MicroVMSpec } from "../../clients/flintlock/index.ts";
import { startLabHost, type LabHost } from "../../lab/flintlock/index.ts";

const TOKEN_ENV = "BOSUN_TEST_FLINTLOCK_TOKEN";
const signal = (): AbortSignal => AbortSignal.timeout(30_000);

function spec(name: string, over: Partial<MicroVMSpec> = {}): MicroVMSpec {
  return {
    id: name,
    namespace: "contract",
    vcpu: 1,
    memoryInMb: 256,
    labels: { "app.kubernetes.io/managed-by": "bosun" },
    kernel: { image: "lab/far-kernel:6.1", addNetworkConfig: false },
    rootVolume: { id: `${name}-root`, source: { containerSource: "lab/far-rootfs:1" } },
    ...over,
  };
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("Flintlock client against the lab flintlockd", () => {
  let dir: string;
  let host: LabHost;
  let tls: LabHost;
  let mtls: FlintlockClient;
  let unix: FlintlockClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bosun-flintlock-client-"));
    process.env[TOKEN_ENV] = "s3cret-token";
    host = await startLabHost({
      name: "lab-a",
      provider: "simulated",
      startDelayMs: 20,
      capacity: { vcpu: 4, memoryMiB: 1024 },
      stateDir: join(dir, "a"),
      tcp: "mtls",
      unix: true,
      basicAuthToken: "s3cret-token",
    });
    tls = await startLabHost({
      name: "lab-b",
      provider: "simulated",
      capacity: { vcpu: 4, memoryMiB: 1024 },
      stateDir: join(dir, "b"),
      tcp: "tls",
      unix: false,
    });
    mtls = new FlintlockClient(host.config({ tokenEnv: TOKEN_ENV }).endpoint, { name: "lab-a" });
    unix = new FlintlockClient(host.config({ tokenEnv: TOKEN_ENV, via: "unix" }).endpoint, { name: "lab-a-sock" });
  });

  afterAll(async () => {
    mtls?.close();
    unix?.close();
    await host?.stop();
    await tls?.stop();
    delete process.env[TOKEN_ENV];
    await rm(dir, { recursive: true, force: true });
  });

  it("creates asynchronously (PENDING with a new uid, then CREATED), lists, streams and deletes (DELETING, then gone)", async () => {
    const created = await mtls.create(spec("vm-a"), signal());
    expect(created.status?.state ?? "PENDING").toBe("PENDING");
    const uid = created.spec?.uid ?? "";
    expect(uid).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(created.spec?.createdAt?.seconds).toBeGreaterThan(1_700_000_000);
    const ready = await until(async () => {
      const vm = await mtls.get(uid, signal());
      return vm?.status?.state === "CREATED" ? vm : undefined;
    }, "CREATED");
    expect(ready.spec).toMatchObject({ id: "vm-a", namespace: "contract", vcpu: 1, memoryInMb: 256, uid });

    // The same host over its Unix socket; lists by namespace and name; the stream is a snapshot.
    await mtls.create(spec("vm-b"), signal());
    expect((await unix.list({ namespace: "contract" }, signal())).map((v) => v.spec?.id).sort()).toEqual([
      "vm-a",
      "vm-b",
    ]);
    expect((await unix.list({ namespace: "contract", name: "vm-b" }, signal())).map((v) => v.spec?.id)).toEqual([
      "vm-b",
    ]);
    expect(await unix.list({ namespace: "elsewhere" }, signal())).toEqual([]);
    expect((await mtls.listStream({ namespace: "contract" }, signal())).map((v) => v.spec?.id).sort()).toEqual([
      "vm-a",
      "vm-b",
    ]);

    expect(await mtls.delete(uid, signal())).toBe(true);
    const after = await mtls.get(uid, signal());
    expect(after === undefined || after.status?.state === "DELETING").toBe(true);
    await until(async () => ((await mtls.get(uid, signal())) === undefined ? true : undefined), "gone");
    expect(await mtls.delete(uid, signal())).toBe(false);
    for (const vm of await mtls.list({ namespace: "contract" }, signal()))
      await mtls.delete(vm.spec?.uid ?? "", signal());
  });

  it("answers an unknown uid as upstream does (UNKNOWN … not found), which the client reads as absent", async () => {
    // The raw answer, through a client without the not-found mapping.
    const raw = new grpc.Client(host.unixAddress as string, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set("authorization", `Basic ${Buffer.from("s3cret-token").toString("base64")}`);
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      raw.makeUnaryRequest(
        `${SERVICE}/GetMicroVM`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0x0a, 0x03, 0x55, 0x49, 0x44]),
        md,
        (e) => resolve(e as grpc.ServiceError),
      ),
    );
    raw.close();
    expect(err.code).toBe(grpc.status.UNKNOWN);
    expect(err.details).toBe("getting microvm: microvm spec UID not found");
    expect(await mtls.get("UID", signal())).toBeUndefined();
    expect(await mtls.delete("UID", signal())).toBe(false);
  });

  it("refuses a spec it cannot validate, an empty request, a stream without namespace, and more than it can hold", async () => {
    const invalid = await mtls.create(spec("bad", { kernel: { image: "" } }), signal()).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(FlintlockError);
    expect(invalid).toMatchObject({ grpcCode: grpc.status.UNKNOWN, notFound: false });
    expect((invalid as Error).message).toMatch(
      /an error occurred when attempting to validate microvm spec: kernel image is required/,
    );

    const noName = await mtls.create(spec(""), signal()).catch((e: unknown) => e);
    expect((noName as Error).message).toMatch(/name is required/);

    const stream = await mtls.listStream({ namespace: "" }, signal()).catch((e: unknown) => e);
    expect(stream).toMatchObject({ grpcCode: grpc.status.INVALID_ARGUMENT });

    const big = await mtls.create(spec("too-big", { vcpu: 8 }), signal()).catch((e: unknown) => e);
    expect(big).toMatchObject({ grpcCode: grpc.status.RESOURCE_EXHAUSTED });
    expect((big as Error).message).toMatch(/insufficient capacity on lab-a: 8 vCPU\/256 MiB asked/);
  });

  it("moves a VM whose image cannot be pulled to FAILED after its retries", async () => {
    const vm = await mtls.create(spec("no-image", { kernel: { image: "lab/does-not-exist:1" } }), signal());
    const failed = await until(async () => {
      const v = await mtls.get(vm.spec?.uid ?? "", signal());
      return v?.status?.state === "FAILED" ? v : undefined;
    }, "FAILED");
    expect(failed.status?.retry).toBe(2);
    await mtls.delete(vm.spec?.uid ?? "", signal());
  });

  it("needs the Basic token (UNAUTHENTICATED otherwise) and, for mTLS, the client certificate", async () => {
    // The token from a file works like the one from the environment.
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "s3cret-token\n");
    const fromFile = new FlintlockClient(host.config({ tokenFile }).endpoint, { name: "token-file" });
    expect(await fromFile.list({ namespace: "nobody" }, signal())).toEqual([]);
    fromFile.close();
    const noToken = new FlintlockClient(host.config().endpoint, { name: "no-token" });
    await expect(noToken.list({ namespace: "contract" }, signal())).rejects.toMatchObject({
      grpcCode: grpc.status.UNAUTHENTICATED,
      detail: "invalid auth token: missing",
    });
    noToken.close();
    const { tls: t, ...rest } = host.config({ tokenEnv: TOKEN_ENV }).endpoint;
    const noCert = new FlintlockClient(
      { ...rest, tls: { caFile: t?.caFile as string } },
      { name: "no-cert", attempts: 1, timeoutMs: 3000 },
    );
    await expect(noCert.list({ namespace: "contract" }, signal())).rejects.toMatchObject({ unavailable: true });
    noCert.close();
  });

  it("speaks TLS without a client certificate to a TLS-only host, and refuses a plaintext client there", async () => {
    const c = new FlintlockClient(tls.config().endpoint, { name: "lab-b" });
    expect(await c.list({ namespace: "contract" }, signal())).toEqual([]);
    c.close();
    const plain = new FlintlockClient(
      { address: tls.tcpAddress as string },
      { name: "plain", attempts: 1, timeoutMs: 3000 },
    );
    await expect(plain.list({ namespace: "contract" }, signal())).rejects.toMatchObject({ unavailable: true });
    plain.close();
  });

  it("reads a host that is down, hangs, or answers garbage as a typed error; an aborted call rejects with the reason", async () => {
    const down = new FlintlockClient({ address: "127.0.0.1:1" }, { name: "down", attempts: 2, backoffMs: 10 });
    await expect(down.list({ namespace: "x" }, signal())).rejects.toMatchObject({
      name: "FlintlockError",
      unavailable: true,
      grpcCode: grpc.status.UNAVAILABLE,
    });
    down.close();

    // A connection that drops once (UNAVAILABLE) is retried with backoff; the call then succeeds.
    let connections = 0;
    const target = (host.tcpAddress as string).split(":");
    const flaky: Server = createServer((sock) => {
      if (connections++ === 0) return sock.destroy();
      const up = connect(Number(target[1]), target[0] as string);
      sock.pipe(up).pipe(sock);
      sock.on("error", () => up.destroy());
      up.on("error", () => sock.destroy());
    });
    await new Promise<void>((r) => flaky.listen(0, "127.0.0.1", r));
    const flakyPort = (flaky.address() as { port: number }).port;
    const endpoint = host.config({ tokenEnv: TOKEN_ENV }).endpoint;
    const retried = new FlintlockClient(
      { ...endpoint, address: `127.0.0.1:${flakyPort}`, tls: { ...endpoint.tls, serverName: "localhost" } },
      { name: "flaky", attempts: 5, backoffMs: 100 },
    );
    expect(await retried.list({ namespace: "nobody" }, signal())).toEqual([]);
    expect(connections).toBeGreaterThanOrEqual(2);
    retried.close();
    flaky.close();

    const hanging: Server = createServer(() => undefined);
    await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
    const port = (hanging.address() as { port: number }).port;
    const hang = new FlintlockClient({ address: `127.0.0.1:${port}` }, { name: "hang", attempts: 1, timeoutMs: 500 });
    await expect(hang.list({ namespace: "x" }, signal())).rejects.toMatchObject({ unavailable: true });
    hang.close();
    hanging.close();

    const garbage = new grpc.Server();
    const id = (b: Buffer): Buffer => b;
    garbage.addService(
      {
        ListMicroVMs: {
          path: `${SERVICE}/ListMicroVMs`,
          requestStream: false,
          responseStream: false,
          requestSerialize: id,
          requestDeserialize: id,
          responseSerialize: id,
          responseDeserialize: id,
        },
      },
      { ListMicroVMs: (_call: unknown, cb: (e: null, b: Buffer) => void) => cb(null, Buffer.from([0x0a, 0x7f, 0x01])) },
    );
    const gport = await new Promise<number>((res, rej) =>
      garbage.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    const g = new FlintlockClient({ address: `127.0.0.1:${gport}` }, { name: "garbage" });
    await expect(g.list({ namespace: "x" }, signal())).rejects.toMatchObject({ garbage: true });
    g.close();
    garbage.forceShutdown();

    const ac = new AbortController();
    const reason = new Error("stop");
    ac.abort(reason);
    await expect(mtls.list({ namespace: "contract" }, ac.signal)).rejects.toBe(reason);
  });
});
