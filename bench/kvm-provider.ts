/**
 * The KVM provider's latencies on this machine (recorded in bench/results/kvm-provider.md):
 * 1. libvirt steps through clients/libvirt for one domain (qcow2 disks, config drive, define, start, the guest's
 *    first kernel line and its config-drive line on the serial console (TCG), destroy, undefine), RUNS times;
 * 2. the provider end to end: MACHINES KVMMachines created at once (Cluster ready, bootstrap data present, as the CAPI
 *    core would leave them) → all `status.ready` (domains running), then all deleted → gone (domains and disks
 *    removed).
 * Run: node --import tsx bench/kvm-provider.ts   (env RUNS=3 MACHINES=3)
 */
import { cpus, loadavg, totalmem } from "node:os";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { KubeClient, loadKubeConfig } from "../clients/kubernetes/index.ts";
import { createQcow2, LibvirtClient, writeConfigDrive } from "../clients/libvirt/index.ts";
import { startKubeEnv } from "../lab/kube/kube-env.ts";
import { stageBootImages } from "../providers/kvm/boot-images.ts";
import {
  createCluster,
  createMachine,
  domainsOf,
  ensureLibvirt,
  installCrds,
  kvmMachine,
  setInfrastructureProvisioned,
  startProvider,
  waitFor,
} from "../test/kvm-provider/support.ts";

const RUNS = Number(process.env["RUNS"] ?? 3);
const MACHINES = Number(process.env["MACHINES"] ?? 3);
const s = (ms: number): string => (ms / 1000).toFixed(2);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function libvirtSteps(kernel: string, initrd: string, dir: string): Promise<Record<string, number[]>> {
  const libvirt = new LibvirtClient();
  const out: Record<string, number[]> = {};
  const add = (k: string, v: number): void => void (out[k] ??= []).push(v);
  for (let i = 0; i < RUNS; i++) {
    const d = join(dir, `run${i}`);
    const name = `bosun-bench-${process.pid}-${i}`;
    let t = Date.now();
    await createQcow2(join(d, "root.qcow2"), 20 * 2 ** 30);
    await createQcow2(join(d, "docker.qcow2"), 5 * 2 ** 30);
    add("2 qcow2 disks (20 GiB + 5 GiB, qemu-img)", Date.now() - t);
    t = Date.now();
    await writeConfigDrive(join(d, "cidata.iso"), { userData: "#cloud-config\n", metaData: "local-hostname: b\n" });
    add("config drive (genisoimage)", Date.now() - t);
    t = Date.now();
    await libvirt.defineDomain({
      name,
      type: "qemu",
      vcpus: 1,
      memoryMiB: 160,
      boot: {
        kernel,
        initrd,
        cmdline:
          "console=ttyS0 quiet panic=-1 bosun.name=b bosun.modules=ata_piix,sr_mod,isofs,virtio_pci,virtio_blk,button,evdev",
      },
      disks: [
        { path: join(d, "root.qcow2"), target: "vda", format: "qcow2" },
        { path: join(d, "docker.qcow2"), target: "vdb", format: "qcow2" },
      ],
      configDrive: join(d, "cidata.iso"),
      serialLog: join(d, "serial.log"),
    });
    add("define", Date.now() - t);
    t = Date.now();
    await libvirt.startDomain(name);
    add("start", Date.now() - t);
    let boot = 0;
    for (;;) {
      const log = await readFile(join(d, "serial.log"), "utf8").catch(() => "");
      if (!boot && log.includes("BOSUN-KVM-BOOT")) boot = Date.now() - t;
      if (log.includes("BOSUN-KVM-CIDATA")) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    add("start → first kernel line (TCG)", boot);
    add("start → config drive read by the guest (TCG)", Date.now() - t);
    t = Date.now();
    await libvirt.destroyDomain(name);
    add("destroy", Date.now() - t);
    t = Date.now();
    await libvirt.undefineDomain(name);
    add("undefine", Date.now() - t);
  }
  return out;
}

async function providerEndToEnd(kernel: string, initrd: string, stateDir: string): Promise<Record<string, number>> {
  const env = await startKubeEnv({});
  const client = new KubeClient(loadKubeConfig({ kubeconfigPath: env.kubeconfigPath }));
  try {
    await installCrds(client, AbortSignal.timeout(300_000));
    const ns = `kvm-bench-${process.pid}`;
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const provider = await startProvider([
      "--kubeconfig",
      env.kubeconfigPath,
      "--namespace",
      ns,
      "--state-dir",
      stateDir,
      "--boot-kernel",
      kernel,
      "--boot-initrd",
      initrd,
      "--domain-type",
      "qemu",
      "--max-memory-mib",
      "160",
      "--resync-ms",
      "2000",
    ]);
    try {
      await createCluster(client, ns, "bench");
      await setInfrastructureProvisioned(client, ns, "bench");
      const names = Array.from({ length: MACHINES }, (_, i) => `w${i}`);
      let t = Date.now();
      await Promise.all(names.map((n) => createMachine(client, ns, "bench", n, { bootstrap: "#cloud-config\n" })));
      await waitFor(
        "all ready",
        async () => {
          for (const n of names)
            if ((await kvmMachine(client, ns, n))?.["status"]?.["ready" as never] !== true) return false;
          return true;
        },
        300_000,
      );
      const ready = Date.now() - t;
      const libvirt = new LibvirtClient();
      if ((await domainsOf(libvirt, ns)).filter((d) => d.state === "running").length !== MACHINES)
        throw new Error("not every domain runs");
      t = Date.now();
      for (const n of names)
        await client.delete({
          apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
          kind: "KVMMachine",
          namespace: ns,
          name: n,
        });
      await waitFor(
        "all gone",
        async () =>
          (await domainsOf(libvirt, ns)).length === 0 &&
          (await client.list("infrastructure.cluster.x-k8s.io/v1beta1", "KVMMachine", { namespace: ns })).items
            .length === 0,
        300_000,
      );
      const gone = Date.now() - t;
      return {
        [`${MACHINES} KVMMachines created → all ready (domains running)`]: ready,
        [`${MACHINES} KVMMachines deleted → gone (domains and disks removed)`]: gone,
      };
    } finally {
      await provider.stop();
    }
  } finally {
    client.close();
    await env.stop();
  }
}

const lab = await ensureLibvirt();
const dir = await mkdtemp("/tmp/bosun-kvm-bench-");
await chmod(dir, 0o755);
try {
  const boot = await stageBootImages(dir, lab);
  const steps = await libvirtSteps(boot.kernel, boot.initrd, dir);
  const e2e = await providerEndToEnd(lab.kernel, lab.initrd, join(dir, "state"));
  console.log(
    `Machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} vCPUs, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  console.log(`\n| libvirt step (${RUNS} runs) | median s | runs s |\n|---|---|---|`);
  for (const [k, v] of Object.entries(steps)) console.log(`| ${k} | ${s(median(v))} | ${v.map(s).join(" / ")} |`);
  console.log(`\n| provider end to end | s |\n|---|---|`);
  for (const [k, v] of Object.entries(e2e)) console.log(`| ${k} | ${s(v)} |`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
