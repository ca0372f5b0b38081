import type { Server } from "node:http";
import { hostname } from "node:os";
import { mkdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { KubeClient, loadKubeConfig } from "../../clients/kubernetes/index.ts";
import { LibvirtClient, probeDomainType, type DomainType } from "../../clients/libvirt/index.ts";
import { createLogger } from "../../engine/index.ts";
import { ClusterReconciler } from "./cluster-reconciler.ts";
import { ProviderController } from "./controller.ts";
import { EventRecorder } from "./events.ts";
import { startHttp } from "./http.ts";
import { stageBootImages } from "./boot-images.ts";
import { MachineReconciler } from "./machine-reconciler.ts";
import { ProviderMetrics } from "./metrics.ts";

export const PROVIDER_VERSION = "0.1.0";

const USAGE = `bosun-kvm-provider: the Cluster API infrastructure provider for KVM (libvirt domains)

  --kubeconfig FILE        management cluster (default: in-cluster, then the default chain)
  --namespace NS           watch one namespace (default: all)
  --libvirt-uri URI        libvirt connection (default qemu:///system)
  --state-dir DIR          disks, config drives and serial logs, one folder per domain (default /var/lib/bosun-kvm)
  --boot-kernel FILE       kernel the domains boot (lab/libvirt/install.sh prints one)
  --boot-initrd FILE       its initramfs
  --host-name NAME         this hypervisor's name in providerIDs (default: the hostname)
  --domain-type auto|kvm|qemu   auto: a probe boot decides (default auto)
  --kvm-probe-timeout-ms N how long the kvm probe boot may take (default 20000)
  --max-memory-mib N       cap guest memory (0 = none; default 0)
  --resync-ms N            reconcile every object at least this often (default 10000)
  --concurrency N          machines reconciled at once (default 4)
  --listen HOST:PORT       /healthz, /version, /metrics (default 127.0.0.1:8080; port 0 = any)
`;

/** Runs the provider until SIGTERM/SIGINT; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        kubeconfig: { type: "string" },
        namespace: { type: "string" },
        "libvirt-uri": { type: "string" },
        "state-dir": { type: "string" },
        "boot-kernel": { type: "string" },
        "boot-initrd": { type: "string" },
        "host-name": { type: "string" },
        "domain-type": { type: "string" },
        "kvm-probe-timeout-ms": { type: "string" },
        "max-memory-mib": { type: "string" },
        "resync-ms": { type: "string" },
        concurrency: { type: "string" },
        listen: { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`bosun-kvm-provider: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values["help"]) {
    process.stdout.write(USAGE);
    return 0;
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const num = (k: string, d: number): number => {
    const v = str(k);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${k}: ${v} is not a non-negative integer`);
    return n;
  };
  const log = createLogger().child({ component: "bosun-kvm-provider" });
  try {
    const kernelArg = str("boot-kernel");
    const initrdArg = str("boot-initrd");
    if (!kernelArg || !initrdArg)
      throw new Error("--boot-kernel and --boot-initrd are required (lab/libvirt/install.sh prints both)");
    const typeArg = str("domain-type") ?? "auto";
    if (!["auto", "kvm", "qemu"].includes(typeArg))
      throw new Error(`--domain-type: ${typeArg} is not auto, kvm or qemu`);
    const [host, portText] = (str("listen") ?? "127.0.0.1:8080").split(/:(?=[0-9]+$)/);
    const stateDir = str("state-dir") ?? "/var/lib/bosun-kvm";
    await mkdir(stateDir, { recursive: true, mode: 0o755 });
    const { kernel, initrd } = await stageBootImages(stateDir, { kernel: kernelArg, initrd: initrdArg });
    const kubeconfig = str("kubeconfig");
    const kube = new KubeClient(loadKubeConfig(kubeconfig ? { kubeconfigPath: kubeconfig } : { default: true }));
    const libvirt = new LibvirtClient({ uri: str("libvirt-uri") ?? "qemu:///system" });
    const hostName = str("host-name") ?? hostname();
    let domainType: DomainType = typeArg === "kvm" ? "kvm" : "qemu";
    if (typeArg === "auto") {
      const probe = await probeDomainType(libvirt, {
        kernel,
        initrd,
        workDir: stateDir,
        timeoutMs: num("kvm-probe-timeout-ms", 20_000),
      });
      domainType = probe.type;
      log.info({ domainType, reason: probe.reason }, "domain type chosen by the probe boot");
    }
    const metrics = new ProviderMetrics();
    const events = new EventRecorder(kube, "bosun-kvm-provider", hostName, log);
    const now = (): Date => new Date();
    const machines = new MachineReconciler({
      kube,
      libvirt,
      events,
      metrics,
      log,
      now,
      config: {
        stateDir,
        hostName,
        domainType,
        boot: { kernel, initrd },
        maxMemoryMiB: num("max-memory-mib", 0),
        ...(process.env["BOSUN_KVM_FAILPOINT"] ? { failpoint: process.env["BOSUN_KVM_FAILPOINT"] } : {}),
      },
    });
    const clusters = new ClusterReconciler({ kube, events, metrics, log, now });
    const ns = str("namespace");
    const controller = new ProviderController({
      kube,
      machines,
      clusters,
      log,
      ...(ns ? { namespace: ns } : {}),
      resyncMs: num("resync-ms", 10_000),
      concurrency: Math.max(1, num("concurrency", 4)),
    });
    let libvirtVersion = "";
    const server: Server = await startHttp(host as string, Number(portText ?? "8080"), metrics.registry, {
      problems: () => (controller.synced ? [] : ["watches have not listed yet"]),
      version: () => ({
        provider: `bosun-kvm-provider ${PROVIDER_VERSION}`,
        node: process.version,
        platform: `${process.platform}/${process.arch}`,
        libvirt: libvirtVersion,
        domainType,
      }),
    });
    libvirtVersion = await libvirt.ping().then(
      (v) => v.split("\n").pop() ?? v,
      () => "unavailable at start",
    );
    controller.start();
    const address = server.address();
    log.info(
      {
        listen: typeof address === "object" && address ? `${address.address}:${address.port}` : String(address),
        domainType,
        hostName,
        stateDir,
        uri: libvirt.uri,
        namespace: ns ?? "(all)",
      },
      "bosun-kvm-provider started",
    );
    await new Promise<void>((resolve) => {
      process.once("SIGTERM", resolve);
      process.once("SIGINT", resolve);
    });
    log.info("stopping");
    await controller.stop();
    await new Promise<void>((r) => server.close(() => r()));
    kube.close();
    return 0;
  } catch (err) {
    log.fatal({ err: (err as Error).message }, "bosun-kvm-provider cannot start");
    return 1;
  }
}
