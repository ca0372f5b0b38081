/**
 * The lab's Flintlock hosts: a flintlockd each (server.ts) on loopback TCP (TLS or mTLS) and/or a
 * Unix socket, with the QEMU provider (real microVMs) or the simulated one (benchmarks).
 * `ensureQemuImages` installs QEMU and builds the guest images once (install.sh, cached);
 * `startDemoHosts` gives `npm start` its two hosts.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { FlintlockHostConfig } from "../../sinks/flintlock/index.ts";
import { SimulatedProvider, type Provider } from "./provider.ts";
import { QemuProvider, type QemuImages } from "./qemu.ts";
import { Flintlockd } from "./server.ts";

export { Flintlockd, validateSpec, newUid, serviceDefinition } from "./server.ts";
export { SimulatedProvider, type Provider } from "./provider.ts";
export { QemuProvider, qmp, type QemuImages } from "./qemu.ts";

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));

export function cacheDir(): string {
  return join(process.env["BOSUN_CACHE_DIR"] ?? join(homedir(), ".cache", "bosun"), "flintlock");
}

/**
 * QEMU and the guest images (installed and built once, cached), and the accelerator: KVM only when
 * a probe boot under KVM reaches the guest's ready line (a nested PVM /dev/kvm cannot boot Linux
 * guests: see ../shared/research/real-components.md), TCG otherwise. The verdict is cached.
 */
export async function ensureQemuImages(): Promise<QemuImages> {
  const { stdout } = await run("bash", [join(HERE, "install.sh")], { maxBuffer: 1 << 20, timeout: 900_000 });
  const value = (k: string): string => {
    const line = stdout.split("\n").find((l) => l.startsWith(`${k}=`));
    if (!line) throw new Error(`lab/flintlock/install.sh printed no ${k}`);
    return line.slice(k.length + 1);
  };
  const base: QemuImages = { kernel: value("KERNEL"), initrd: value("INITRD"), qemu: value("QEMU"), accel: "tcg" };
  return { ...base, accel: await probeAccel(base) };
}

async function probeAccel(images: QemuImages): Promise<"tcg" | "kvm"> {
  const verdict = join(cacheDir(), "accel");
  const cached = await readFile(verdict, "utf8").catch(() => "");
  if (cached.trim() === "tcg" || cached.trim() === "kvm") return cached.trim() as "tcg" | "kvm";
  let accel: "tcg" | "kvm" = "tcg";
  if (existsSync("/dev/kvm") && !existsSync("/sys/module/kvm_pvm")) {
    const probe = new QemuProvider({
      images: { ...images, accel: "kvm" },
      stateDir: join(cacheDir(), "probe"),
      hostName: "probe",
      bootTimeoutMs: 20_000,
    });
    try {
      const spec = { id: "probe", namespace: "probe", vcpu: 1, memoryInMb: 128, rootVolume: { id: "probe" } };
      await probe.start({ uid: "probe", spec });
      accel = "kvm";
    } catch {
      accel = "tcg";
    } finally {
      await probe.close();
      await probe.purge();
    }
  }
  await writeFile(verdict, accel);
  return accel;
}

export interface LabHostOptions {
  readonly name: string;
  readonly provider: "qemu" | "simulated";
  readonly capacity: { readonly vcpu: number; readonly memoryMiB: number };
  readonly labels?: Readonly<Record<string, string>>;
  /** Where the host keeps its state (VM logs, kept volumes, socket, certificates). */
  readonly stateDir: string;
  /** TCP with TLS (`tls`), mTLS (`mtls`) or plain (`insecure`); and/or a Unix socket. Default: mtls + unix. */
  readonly tcp?: "tls" | "mtls" | "insecure" | "none";
  readonly unix?: boolean;
  /** Require this Basic-auth token. */
  readonly basicAuthToken?: string;
  /** The simulated provider's boot time. */
  readonly startDelayMs?: number;
  /** QEMU images (from ensureQemuImages), for the qemu provider. */
  readonly images?: QemuImages;
  /** TCP port (default 0: any free one). */
  readonly port?: number;
}

export interface LabHost {
  readonly name: string;
  readonly flintlockd: Flintlockd;
  readonly provider: Provider;
  /** The TCP address (`127.0.0.1:PORT`) and/or the socket (`unix:///…`). */
  readonly tcpAddress?: string;
  readonly unixAddress?: string;
  /** Certificates (mTLS: the client pair too). */
  readonly pki?: LabFlintlockPki;
  /** How Bosun reaches it: TCP when there is a TCP listener, else the socket; token from `tokenEnv`. */
  config(options?: { tokenEnv?: string; tokenFile?: string; via?: "tcp" | "unix" }): FlintlockHostConfig;
  stop(): Promise<void>;
}

export interface LabFlintlockPki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate (openssl). */
export async function createPki(dir: string): Promise<LabFlintlockPki> {
  await mkdir(dir, { recursive: true });
  const p = (f: string): string => join(dir, f);
  const pki: LabFlintlockPki = {
    caCert: p("ca.crt"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    clientCert: p("client.crt"),
    clientKey: p("client.key"),
  };
  if (existsSync(pki.clientCert)) return pki;
  const ssl = (args: string[]): Promise<unknown> => run("openssl", args);
  await ssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=bosun-lab-flintlock-ca"].concat([
      "-keyout",
      p("ca.key"),
      "-out",
      pki.caCert,
    ]),
  );
  await writeFile(p("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await writeFile(p("client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, cn] of [
    ["server", "flintlockd"],
    ["client", "bosun"],
  ] as const) {
    await ssl([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      p(`${name}.key`),
      "-out",
      p(`${name}.csr`),
    ]);
    await ssl(
      ["x509", "-req", "-in", p(`${name}.csr`), "-CA", pki.caCert, "-CAkey", p("ca.key"), "-CAcreateserial"].concat([
        "-days",
        "30",
        "-extfile",
        p(`${name}.ext`),
        "-out",
        p(`${name}.crt`),
      ]),
    );
  }
  return pki;
}

export async function startLabHost(options: LabHostOptions): Promise<LabHost> {
  await mkdir(options.stateDir, { recursive: true });
  let provider: Provider;
  if (options.provider === "qemu") {
    const images = options.images ?? (await ensureQemuImages());
    provider = new QemuProvider({
      images,
      stateDir: join(options.stateDir, "qemu"),
      hostName: options.name,
      knownImage: (image) => /far-kernel/.test(image),
    });
  } else {
    provider = new SimulatedProvider({
      ...(options.startDelayMs !== undefined ? { startDelayMs: options.startDelayMs } : {}),
      knownImages: (image) => /far-kernel/.test(image),
    });
  }
  const flintlockd = new Flintlockd({
    name: options.name,
    provider,
    capacity: options.capacity,
    ...(options.basicAuthToken ? { basicAuthToken: options.basicAuthToken } : {}),
  });
  const tcp = options.tcp ?? "mtls";
  const pki = tcp === "tls" || tcp === "mtls" ? await createPki(join(options.stateDir, "pki")) : undefined;
  const socket = (options.unix ?? true) ? join(options.stateDir, "flintlock.sock") : undefined;
  const addresses = await flintlockd.listen({
    ...(tcp !== "none" ? { tcp: `127.0.0.1:${options.port ?? 0}` } : {}),
    ...(pki
      ? {
          tls: {
            certFile: pki.serverCert,
            keyFile: pki.serverKey,
            ...(tcp === "mtls" ? { clientCaFile: pki.caCert } : {}),
          },
        }
      : {}),
    ...(socket ? { unix: socket } : {}),
  });
  const tcpAddress = addresses.find((a) => !a.startsWith("unix:"));
  const unixAddress = addresses.find((a) => a.startsWith("unix:"));
  return {
    name: options.name,
    flintlockd,
    provider,
    ...(tcpAddress ? { tcpAddress } : {}),
    ...(unixAddress ? { unixAddress } : {}),
    ...(pki ? { pki } : {}),
    config: (c = {}) => {
      const via = c.via ?? (tcpAddress ? "tcp" : "unix");
      const address = (via === "tcp" ? tcpAddress : unixAddress) as string;
      const tls =
        via === "tcp" && pki
          ? { caFile: pki.caCert, ...(tcp === "mtls" ? { certFile: pki.clientCert, keyFile: pki.clientKey } : {}) }
          : undefined;
      const basicAuth = c.tokenEnv ? { tokenEnv: c.tokenEnv } : c.tokenFile ? { tokenFile: c.tokenFile } : undefined;
      return {
        name: options.name,
        endpoint: { address, ...(tls ? { tls } : {}), ...(basicAuth ? { basicAuth } : {}) },
        labels: { ...(options.labels ?? {}), "flintlock.bosun.dev/host": options.name },
        capacity: options.capacity,
      };
    },
    stop: () => flintlockd.close(),
  };
}

/** A lab host's config in the engine config's shape (`backends.flintlock.hosts[]`). */
export function engineHostConfig(h: FlintlockHostConfig): Record<string, unknown> {
  return {
    name: h.name,
    address: h.endpoint.address,
    ...(h.endpoint.tls ? { tls: h.endpoint.tls } : {}),
    ...(h.endpoint.basicAuth ? { basicAuth: h.endpoint.basicAuth } : {}),
    labels: h.labels,
    capacity: h.capacity,
  };
}

/**
 * `npm start`'s two Flintlock hosts with real QEMU microVMs: `blade-a-01` (pool blade-a, over mTLS)
 * and `blade-b-07` (pool blade-b, over its Unix socket), each with room for a few small agents.
 * Returns the engine config's `backends` section for them.
 */
export async function startDemoFlintlock(
  stateDir: string,
): Promise<{ hosts: LabHost[]; backends: { flintlock: Record<string, unknown> }; stop(): Promise<void> }> {
  const images = await ensureQemuImages();
  const capacity = { vcpu: 4, memoryMiB: 4096 };
  const a = await startLabHost({
    name: "blade-a-01",
    provider: "qemu",
    images,
    capacity,
    labels: { pool: "blade-a" },
    stateDir: join(stateDir, "blade-a-01"),
    unix: false,
  });
  const b = await startLabHost({
    name: "blade-b-07",
    provider: "qemu",
    images,
    capacity,
    labels: { pool: "blade-b" },
    stateDir: join(stateDir, "blade-b-07"),
    tcp: "none",
  });
  return {
    hosts: [a, b],
    backends: {
      flintlock: {
        timeoutMs: 10_000,
        hosts: [engineHostConfig(a.config()), engineHostConfig(b.config({ via: "unix" }))],
      },
    },
    stop: async () => {
      await a.stop();
      await b.stop();
    },
  };
}
