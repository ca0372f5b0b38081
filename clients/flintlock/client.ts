/**
 * A Flintlock v0.11 client: the `microvm.services.api.v1alpha1.MicroVM` service over gRPC
 * (@grpc/grpc-js) with our own wire messages. TCP with TLS or mTLS, or a Unix socket; Basic-auth
 * metadata; a deadline per call; retries with backoff on UNAVAILABLE (never for Create, which is not
 * idempotent: the caller lists first); "not found" (UNKNOWN with that text, as flintlockd answers,
 * or NOT_FOUND) is absence.
 */
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { FlintlockError } from "./errors.ts";
import {
  decodeEmpty,
  decodeListResponse,
  decodeMicroVMEnvelope,
  encodeCreateRequest,
  encodeListRequest,
  encodeUidRequest,
  type CreateMicroVMRequest,
  type ListMicroVMsRequest,
  type MicroVM,
  type MicroVMSpec,
} from "./messages.ts";

export const SERVICE = "/microvm.services.api.v1alpha1.MicroVM";

/** How to reach one flintlockd. Secrets are read from files or the environment, never inlined. */
export interface FlintlockEndpoint {
  /** `host:port` (TCP) or `unix:///path/to/flintlock.sock`. */
  readonly address: string;
  /** TLS over TCP: the CA that signs the server (and, for mTLS, the client's certificate and key). */
  readonly tls?: {
    readonly caFile?: string;
    readonly certFile?: string;
    readonly keyFile?: string;
    /** Expected server name when it differs from the address's host. */
    readonly serverName?: string;
  };
  /** The `--basic-auth-token` of flintlockd, from an environment variable or a file. */
  readonly basicAuth?: { readonly tokenEnv?: string; readonly tokenFile?: string };
}

export interface FlintlockClientOptions {
  /** Per-call deadline (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts on UNAVAILABLE for idempotent calls (default 3). */
  readonly attempts?: number;
  /** First backoff (default 100 ms), doubled each retry. */
  readonly backoffMs?: number;
  /** Names the host in errors (default the address). */
  readonly name?: string;
}

type Decode<T> = (buf: Buffer) => T;

const identity = (b: Buffer): Buffer => b;

export class FlintlockClient {
  private readonly client: grpc.Client;
  private readonly metadata: grpc.Metadata;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  readonly name: string;

  constructor(
    readonly endpoint: FlintlockEndpoint,
    options: FlintlockClientOptions = {},
  ) {
    this.name = options.name ?? endpoint.address;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.attempts = options.attempts ?? 3;
    this.backoffMs = options.backoffMs ?? 100;
    const { credentials, channelOptions } = channelCredentials(endpoint);
    this.client = new grpc.Client(endpoint.address, credentials, {
      ...channelOptions,
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      // A host that was down is tried again soon (grpc-js waits 1 s by default), so the retries below can reach it.
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 5000,
    });
    this.metadata = new grpc.Metadata();
    const token = basicAuthToken(endpoint);
    if (token !== undefined) this.metadata.set("authorization", `Basic ${Buffer.from(token).toString("base64")}`);
  }

  /** Asynchronous on the server: the returned MicroVM is PENDING, with its new uid. Never retried. */
  async create(spec: MicroVMSpec, signal: AbortSignal): Promise<MicroVM> {
    const req: CreateMicroVMRequest = { microvm: spec };
    const res = await this.unary("CreateMicroVM", encodeCreateRequest(req), decodeMicroVMEnvelope, signal, false);
    if (!res.microvm) throw new FlintlockError(this.name, "CreateMicroVM", grpc.status.INTERNAL, "empty response");
    return res.microvm;
  }

  /**
   * Marks it DELETING; false when no microVM has that uid. `graceMs` asks the host to stop the guest
   * gracefully (ACPI power button) within that time first: the call metadata `bosun-stop-grace-ms`,
   * honoured by the lab flintlockd; an upstream flintlockd ignores it and stops the VM at once.
   */
  async delete(uid: string, signal: AbortSignal, options: { graceMs?: number } = {}): Promise<boolean> {
    const metadata = this.metadata.clone();
    if (options.graceMs) metadata.set("bosun-stop-grace-ms", String(options.graceMs));
    try {
      await this.unary("DeleteMicroVM", encodeUidRequest({ uid }), decodeEmpty, signal, true, metadata);
      return true;
    } catch (e) {
      if (e instanceof FlintlockError && e.notFound) return false;
      throw e;
    }
  }

  /** The microVM, or undefined when the host has none with that uid. */
  async get(uid: string, signal: AbortSignal): Promise<MicroVM | undefined> {
    try {
      return (await this.unary("GetMicroVM", encodeUidRequest({ uid }), decodeMicroVMEnvelope, signal, true)).microvm;
    } catch (e) {
      if (e instanceof FlintlockError && e.notFound) return undefined;
      throw e;
    }
  }

  async list(request: ListMicroVMsRequest, signal: AbortSignal): Promise<MicroVM[]> {
    return (await this.unary("ListMicroVMs", encodeListRequest(request), decodeListResponse, signal, true)).microvm;
  }

  /** ListMicroVMsStream: a snapshot of every microVM, one message each, then the end (not a watch). */
  listStream(request: ListMicroVMsRequest, signal: AbortSignal): Promise<MicroVM[]> {
    return this.withRetry(signal, true, () => this.streamOnce(request, signal));
  }

  close(): void {
    this.client.close();
  }

  private streamOnce(request: ListMicroVMsRequest, signal: AbortSignal): Promise<MicroVM[]> {
    return new Promise((resolve, reject) => {
      signal.throwIfAborted();
      const out: MicroVM[] = [];
      const call = this.client.makeServerStreamRequest(
        `${SERVICE}/ListMicroVMsStream`,
        identity,
        identity,
        encodeListRequest(request),
        this.metadata,
        { deadline: Date.now() + this.timeoutMs },
      );
      const onAbort = (): void => {
        call.cancel();
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      call.on("data", (buf: Buffer) => {
        try {
          const m = decodeMicroVMEnvelope(buf).microvm;
          if (m) out.push(m);
        } catch (cause) {
          call.cancel();
          reject(this.decodeError("ListMicroVMsStream", cause));
        }
      });
      call.on("error", (e: grpc.ServiceError) => {
        signal.removeEventListener("abort", onAbort);
        reject(FlintlockError.from(this.name, "ListMicroVMsStream", e));
      });
      call.on("end", () => {
        signal.removeEventListener("abort", onAbort);
        resolve(out);
      });
    });
  }

  private unary<T>(
    method: string,
    body: Buffer,
    decode: Decode<T>,
    signal: AbortSignal,
    retry: boolean,
    metadata = this.metadata,
  ): Promise<T> {
    return this.withRetry(signal, retry, () => this.unaryOnce(method, body, decode, signal, metadata));
  }

  private unaryOnce<T>(
    method: string,
    body: Buffer,
    decode: Decode<T>,
    signal: AbortSignal,
    metadata: grpc.Metadata,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      signal.throwIfAborted();
      const call = this.client.makeUnaryRequest(
        `${SERVICE}/${method}`,
        identity,
        identity,
        body,
        metadata,
        { deadline: Date.now() + this.timeoutMs },
        (err, res) => {
          signal.removeEventListener("abort", onAbort);
          if (signal.aborted) return reject(signal.reason);
          if (err) return reject(FlintlockError.from(this.name, method, err));
          try {
            resolve(decode(res ?? Buffer.alloc(0)));
          } catch (cause) {
            reject(this.decodeError(method, cause));
          }
        },
      );
      const onAbort = (): void => call.cancel();
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private decodeError(method: string, cause: unknown): FlintlockError {
    const message = `the answer is not a valid ${method} response: ${(cause as Error).message}`;
    return new FlintlockError(this.name, method, grpc.status.INTERNAL, message, { cause, garbage: true });
  }

  private async withRetry<T>(signal: AbortSignal, retry: boolean, once: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once();
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        const again = retry && e instanceof FlintlockError && e.grpcCode === grpc.status.UNAVAILABLE;
        if (!again || attempt >= this.attempts) throw e;
        await sleep(this.backoffMs * 2 ** (attempt - 1), signal);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function channelCredentials(endpoint: FlintlockEndpoint): {
  credentials: grpc.ChannelCredentials;
  channelOptions: grpc.ChannelOptions;
} {
  const tls = endpoint.tls;
  if (!tls || endpoint.address.startsWith("unix:"))
    return { credentials: grpc.credentials.createInsecure(), channelOptions: {} };
  const read = (f: string | undefined): Buffer | null => (f ? readFileSync(f) : null);
  const credentials = grpc.credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
  const channelOptions: grpc.ChannelOptions = tls.serverName
    ? { "grpc.ssl_target_name_override": tls.serverName, "grpc.default_authority": tls.serverName }
    : {};
  return { credentials, channelOptions };
}

function basicAuthToken(endpoint: FlintlockEndpoint): string | undefined {
  const auth = endpoint.basicAuth;
  if (!auth) return undefined;
  if (auth.tokenFile) return readFileSync(auth.tokenFile, "utf8").trim();
  if (auth.tokenEnv) {
    const v = process.env[auth.tokenEnv];
    if (!v)
      throw new FlintlockError(endpoint.address, "auth", grpc.status.UNAUTHENTICATED, `${auth.tokenEnv} is not set`);
    return v;
  }
  return undefined;
}
