/**
 * A lab flintlockd: the `microvm.services.api.v1alpha1.MicroVM` gRPC service of Flintlock v0.11,
 * as the upstream server answers it (../shared/specs/flintlock/README.md): asynchronous create
 * (PENDING → CREATED, or FAILED after the retries), asynchronous delete (DELETING → gone), ULID-like
 * uids, namespaces, list and list-stream snapshots, UNKNOWN "… not found" for unknown uids,
 * INVALID_ARGUMENT for empty requests, UNAUTHENTICATED for a wrong Basic token. One reconcile
 * worker per host, as upstream. Lab additions (no upstream equivalent): a per-host vCPU/memory
 * capacity (a create that does not fit is refused with RESOURCE_EXHAUSTED), a VM whose process
 * ends out of band turns FAILED, and the call metadata `bosun-stop-grace-ms` on DeleteMicroVM asks
 * for a graceful stop (ACPI power button) within that time.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import {
  decodeCreateRequest,
  decodeListRequest,
  decodeMicroVMEnvelope,
  decodeUidRequest,
  encodeCreateRequest,
  encodeEmpty,
  encodeListRequest,
  encodeListResponse,
  encodeMicroVMEnvelope,
  encodeUidRequest,
  decodeEmpty,
  decodeListResponse,
  SERVICE,
  type MicroVM,
  type MicroVMSpec,
  type MicroVMStateName,
  type Timestamp,
} from "../../clients/flintlock/index.ts";
import type { Provider } from "./provider.ts";

export interface FlintlockdOptions {
  /** Host name, for logs and errors. */
  readonly name: string;
  readonly provider: Provider;
  /** vCPUs and MiB this host offers (default: unlimited). */
  readonly capacity?: { readonly vcpu: number; readonly memoryMiB: number };
  /** `--basic-auth-token`: calls must carry `authorization: Basic base64(token)`. */
  readonly basicAuthToken?: string;
  /** Attempts of a failing reconcile before FAILED (upstream 10, 20 s apart; lab default 2, 200 ms apart). */
  readonly maxRetries?: number;
  readonly retryDelayMs?: number;
}

export interface ListenOptions {
  /** TCP `127.0.0.1:0` style address. */
  readonly tcp?: string;
  /** TLS for the TCP listener (PEM files): server cert and key, and a client CA for mTLS. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string };
  /** A Unix socket path. */
  readonly unix?: string;
}

interface Record {
  spec: MicroVMSpec;
  state: MicroVMStateName;
  retry: number;
  version: number;
  graceMs: number;
}

/** Crockford base32 of time + randomness, like the ULIDs flintlockd hands out. */
export function newUid(now = Date.now()): string {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  let t = now;
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(16);
  let rand = "";
  for (let i = 0; i < 16; i++) rand += alphabet[(rnd[i] as number) % 32];
  return time + rand;
}

function timestamp(ms = Date.now()): Timestamp {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

function fail(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

/** Upstream's validation texts (core/models validation via go-playground/validator). */
export function validateSpec(spec: MicroVMSpec): string | undefined {
  const problems: string[] = [];
  if (!spec.id) return "name is required";
  if (!(spec.vcpu >= 1)) problems.push("vcpu must be at least 1");
  if (!(spec.memoryInMb >= 1)) problems.push("memory_in_mb must be at least 1");
  if (!spec.kernel?.image) problems.push("kernel image is required");
  if (!spec.rootVolume?.id) problems.push("root volume id is required");
  if (spec.rootVolume && !spec.rootVolume.source?.containerSource && !spec.rootVolume.source?.virtiofsSource)
    problems.push("root volume source is required");
  if ((spec.interfaces ?? []).some((i) => i.type === 0)) problems.push("provider does not support macvtap interfaces");
  if (spec.allowGuestAgent) problems.push("provider does not support the guest agent");
  if (problems.length === 0) return undefined;
  return `an error occurred when attempting to validate microvm spec: ${problems.join("; ")}`;
}

export class Flintlockd {
  private readonly server = new grpc.Server();
  private readonly vms = new Map<string, Record>();
  private readonly queue: string[] = [];
  private working = false;
  private closed = false;
  /** Every address the server listens on (`127.0.0.1:PORT`, `unix:///…`). */
  readonly addresses: string[] = [];
  /** Every delete asked for: uid, name and the grace period the caller gave (tests read it). */
  readonly deletes: { uid: string; name: string; graceMs: number }[] = [];
  /** Calls served, by method (benchmarks count requests per host). */
  readonly calls = new Map<string, number>();

  constructor(readonly options: FlintlockdOptions) {
    options.provider.onExit = (uid, reason) => this.exited(uid, reason);
    this.server.addService(serviceDefinition(), this.handlers());
  }

  async listen(listen: ListenOptions): Promise<string[]> {
    const bind = (address: string, creds: grpc.ServerCredentials): Promise<number> =>
      new Promise((resolve, reject) =>
        this.server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))),
      );
    if (listen.tcp) {
      const creds = listen.tls
        ? grpc.ServerCredentials.createSsl(
            listen.tls.clientCaFile ? readFileSync(listen.tls.clientCaFile) : null,
            [{ cert_chain: readFileSync(listen.tls.certFile), private_key: readFileSync(listen.tls.keyFile) }],
            listen.tls.clientCaFile !== undefined,
          )
        : grpc.ServerCredentials.createInsecure();
      const port = await bind(listen.tcp, creds);
      this.addresses.push(`${listen.tcp.replace(/:\d+$/, "")}:${port}`);
    }
    if (listen.unix) {
      await bind(`unix://${listen.unix}`, grpc.ServerCredentials.createInsecure());
      this.addresses.push(`unix://${listen.unix}`);
    }
    return this.addresses;
  }

  /** The records as the host holds them (tests look behind the API). */
  snapshot(): { uid: string; name: string; namespace: string; state: MicroVMStateName }[] {
    return [...this.vms].map(([uid, r]) => ({ uid, name: r.spec.id, namespace: r.spec.namespace, state: r.state }));
  }

  /** vCPUs and MiB held by VMs not being deleted. */
  used(): { vcpu: number; memoryMiB: number } {
    let vcpu = 0;
    let memoryMiB = 0;
    for (const r of this.vms.values()) {
      if (r.state === "DELETING" || r.state === "FAILED") continue;
      vcpu += r.spec.vcpu;
      memoryMiB += r.spec.memoryInMb;
    }
    return { vcpu, memoryMiB };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.server.forceShutdown();
    await Promise.all([...this.vms.keys()].map((uid) => this.options.provider.stop(uid, 0).catch(() => undefined)));
    await this.options.provider.close();
  }

  private view(uid: string, r: Record): MicroVM {
    return { version: r.version, spec: { ...r.spec, uid }, status: { state: r.state, retry: r.retry } };
  }

  private exited(uid: string, reason: string): void {
    const r = this.vms.get(uid);
    if (!r || r.state !== "CREATED") return;
    r.state = "FAILED";
    r.version++;
    r.spec = { ...r.spec, updatedAt: timestamp() };
    void reason;
  }

  private enqueue(uid: string): void {
    this.queue.push(uid);
    void this.work();
  }

  /** The one reconcile worker: PENDING → CREATED/FAILED, DELETING → gone. */
  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      for (let uid = this.queue.shift(); uid !== undefined && !this.closed; uid = this.queue.shift()) {
        const r = this.vms.get(uid);
        if (!r) continue;
        if (r.state === "DELETING") {
          await this.options.provider.stop(uid, r.graceMs).catch(() => undefined);
          this.vms.delete(uid);
        } else if (r.state === "PENDING") {
          try {
            await this.options.provider.start({ uid, spec: r.spec });
            if (this.vms.get(uid) !== r || r.state !== "PENDING") {
              await this.options.provider.stop(uid, 0).catch(() => undefined);
              continue;
            }
            r.state = "CREATED";
          } catch {
            r.retry++;
            if (r.retry >= (this.options.maxRetries ?? 2)) r.state = "FAILED";
            else setTimeout(() => this.enqueue(uid), this.options.retryDelayMs ?? 200).unref();
          }
          r.version++;
          r.spec = { ...r.spec, updatedAt: timestamp() };
        }
      }
    } finally {
      this.working = false;
    }
  }

  private authorize(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>) {
    const token = this.options.basicAuthToken;
    if (token === undefined) return undefined;
    const header = call.metadata.get("authorization")[0];
    const want = `Basic ${Buffer.from(token).toString("base64")}`;
    if (header === want) return undefined;
    return fail(grpc.status.UNAUTHENTICATED, `invalid auth token: ${header === undefined ? "missing" : "mismatch"}`);
  }

  private count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  private handlers(): grpc.UntypedServiceImplementation {
    type Unary<Req> = grpc.handleUnaryCall<Req, unknown>;
    const create: Unary<ReturnType<typeof decodeCreateRequest>> = (call, cb) => {
      this.count("CreateMicroVM");
      const denied = this.authorize(call);
      if (denied) return cb(denied);
      const spec = call.request.microvm;
      if (!spec) return cb(fail(grpc.status.INVALID_ARGUMENT, "invalid create microvm request: MicroVMSpec required"));
      const full: MicroVMSpec = { ...spec, namespace: spec.namespace || "default" };
      const problem = validateSpec(full);
      if (problem) return cb(fail(grpc.status.UNKNOWN, problem));
      const cap = this.options.capacity;
      if (cap) {
        const used = this.used();
        if (used.vcpu + full.vcpu > cap.vcpu || used.memoryMiB + full.memoryInMb > cap.memoryMiB)
          return cb(
            fail(
              grpc.status.RESOURCE_EXHAUSTED,
              `insufficient capacity on ${this.options.name}: ${full.vcpu} vCPU/${full.memoryInMb} MiB asked, ` +
                `${cap.vcpu - used.vcpu} vCPU/${cap.memoryMiB - used.memoryMiB} MiB free`,
            ),
          );
      }
      const uid = newUid();
      const r: Record = {
        spec: { ...full, uid, createdAt: timestamp() },
        state: "PENDING",
        retry: 0,
        version: 1,
        graceMs: 0,
      };
      this.vms.set(uid, r);
      cb(null, { microvm: this.view(uid, r) });
      this.enqueue(uid);
    };
    const del: Unary<{ uid: string }> = (call, cb) => {
      this.count("DeleteMicroVM");
      const denied = this.authorize(call);
      if (denied) return cb(denied);
      const uid = call.request.uid;
      if (!uid) return cb(fail(grpc.status.INVALID_ARGUMENT, "invalid request"));
      const r = this.vms.get(uid);
      if (!r) return cb(fail(grpc.status.UNKNOWN, `deleting microvm: microvm spec ${uid} not found`));
      const grace = Number(call.metadata.get("bosun-stop-grace-ms")[0] ?? 0);
      if (r.state !== "DELETING") {
        this.deletes.push({
          uid,
          name: `${r.spec.namespace}/${r.spec.id}`,
          graceMs: Number.isFinite(grace) ? grace : 0,
        });
        r.state = "DELETING";
        r.version++;
        r.graceMs = Number.isFinite(grace) && grace > 0 ? grace : 0;
        r.spec = { ...r.spec, deletedAt: timestamp() };
        this.enqueue(uid);
      }
      cb(null, {});
    };
    const get: Unary<{ uid: string }> = (call, cb) => {
      this.count("GetMicroVM");
      const denied = this.authorize(call);
      if (denied) return cb(denied);
      const uid = call.request.uid;
      if (!uid) return cb(fail(grpc.status.INVALID_ARGUMENT, "invalid request"));
      const r = this.vms.get(uid);
      if (!r) return cb(fail(grpc.status.UNKNOWN, `getting microvm: microvm spec ${uid} not found`));
      cb(null, { microvm: this.view(uid, r) });
    };
    const select = (req: { namespace: string; name?: string }): MicroVM[] =>
      [...this.vms]
        .filter(
          ([, r]) =>
            (!req.namespace || r.spec.namespace === req.namespace) &&
            (req.name === undefined || r.spec.id === req.name),
        )
        .map(([uid, r]) => this.view(uid, r));
    const list: Unary<{ namespace: string; name?: string }> = (call, cb) => {
      this.count("ListMicroVMs");
      const denied = this.authorize(call);
      if (denied) return cb(denied);
      cb(null, { microvm: select(call.request) });
    };
    const stream: grpc.handleServerStreamingCall<{ namespace: string; name?: string }, unknown> = (call) => {
      this.count("ListMicroVMsStream");
      const denied = this.authorize(call);
      if (denied) return void call.emit("error", denied);
      if (!call.request.namespace)
        return void call.emit("error", fail(grpc.status.INVALID_ARGUMENT, "namespace is required"));
      for (const microvm of select(call.request)) call.write({ microvm });
      call.end();
    };
    return {
      CreateMicroVM: create,
      DeleteMicroVM: del,
      GetMicroVM: get,
      ListMicroVMs: list,
      ListMicroVMsStream: stream,
    } as grpc.UntypedServiceImplementation;
  }
}

type Codec = { serialize: (v: never) => Buffer; deserialize: (b: Buffer) => unknown };

function method(name: string, req: Codec, res: Codec, responseStream = false): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `${SERVICE}/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: req.serialize as (v: unknown) => Buffer,
    requestDeserialize: req.deserialize,
    responseSerialize: res.serialize as (v: unknown) => Buffer,
    responseDeserialize: res.deserialize,
    originalName: name,
  };
}

/** The service with our wire messages (the server decodes requests and encodes responses with them). */
export function serviceDefinition(): grpc.ServiceDefinition {
  const uidReq: Codec = { serialize: encodeUidRequest, deserialize: decodeUidRequest };
  const envelope: Codec = { serialize: encodeMicroVMEnvelope, deserialize: decodeMicroVMEnvelope };
  const listReq: Codec = { serialize: encodeListRequest, deserialize: decodeListRequest };
  return {
    CreateMicroVM: method(
      "CreateMicroVM",
      { serialize: encodeCreateRequest, deserialize: decodeCreateRequest },
      envelope,
    ),
    DeleteMicroVM: method("DeleteMicroVM", uidReq, { serialize: encodeEmpty, deserialize: decodeEmpty }),
    GetMicroVM: method("GetMicroVM", uidReq, envelope),
    ListMicroVMs: method("ListMicroVMs", listReq, { serialize: encodeListResponse, deserialize: decodeListResponse }),
    ListMicroVMsStream: method("ListMicroVMsStream", listReq, envelope, true),
  };
}
