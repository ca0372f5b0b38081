/**
 * A lab VM's "guest": cloud-init reads the config drive the lab wrote at start (`cidata/user-data`,
 * `meta-data`, `network-config`), writes `write_files` under the VM's disk folder and, when
 * `runcmd` holds a `kubeadm join`, runs the kubelet (kubelet.ts) until the VM stops.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { parse } from "yaml";
import { parseCloudConfig, redactJoin } from "./cloud-init.ts";
import { runKubelet } from "./kubelet.ts";

export interface GuestOptions {
  /** The VM's folder: `cidata/` (config drive) and `disk/` (persistent). */
  readonly vmDir: string;
  readonly vmid: number;
  readonly name: string;
  readonly cores: number;
  readonly memoryMiB: number;
  readonly heartbeatMs: number;
}

export type GuestLog = (message: string, fields?: Record<string, unknown>) => void;

/** Boots the guest; resolves once `signal` aborted and the kubelet (if any) stopped. */
export async function bootGuest(
  o: GuestOptions,
  log: GuestLog,
  signal: AbortSignal,
  graceful: () => boolean,
): Promise<void> {
  const cidata = join(o.vmDir, "cidata");
  const disk = join(o.vmDir, "disk");
  await mkdir(disk, { recursive: true });
  const userData = await readFile(join(cidata, "user-data"), "utf8").catch(() => "");
  const network = parse(await readFile(join(cidata, "network-config"), "utf8").catch(() => "")) as {
    config?: { subnets?: { type?: string; address?: string }[] }[];
  } | null;
  const staticIp = network?.config?.[0]?.subnets?.find((s) => s.type === "static")?.address?.split("/")[0];
  log("cloud-init: boot", { vmid: o.vmid, name: o.name });
  let cfg;
  try {
    cfg = parseCloudConfig(userData);
  } catch (e) {
    log("cloud-init: user data not used", { error: (e as Error).message });
    await new Promise<void>((r) =>
      signal.aborted ? r() : signal.addEventListener("abort", () => r(), { once: true }),
    );
    return;
  }
  for (const f of cfg.writeFiles) {
    const target = join(disk, normalize(`/${f.path}`));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.content, { mode: f.permissions ? parseInt(f.permissions, 8) : 0o644 });
  }
  for (const c of cfg.runcmd) log("cloud-init: runcmd", { command: redactJoin(c) });
  if (!cfg.join) {
    log("cloud-init: no kubeadm join in runcmd; the guest idles");
    await new Promise<void>((r) =>
      signal.aborted ? r() : signal.addEventListener("abort", () => r(), { once: true }),
    );
    return;
  }
  await runKubelet(
    {
      join: cfg.join,
      nodeName: cfg.join.nodeName ?? cfg.hostname ?? o.name,
      vmid: o.vmid,
      cores: o.cores,
      memoryMiB: o.memoryMiB,
      pkiDir: join(disk, "var/lib/kubelet/pki"),
      heartbeatMs: o.heartbeatMs,
      bootId: randomBytes(16).toString("hex"),
      log,
      ...(staticIp ? { internalIP: staticIp } : {}),
    },
    signal,
    graceful,
  );
}
