/**
 * A lab Proxmox VM boots a simulated worker that joins a real cluster the way kubeadm + kubelet TLS
 * bootstrap do, against the lab kube-apiserver standing in for a tenant apiserver: bootstrap token
 * → cluster-info (JWS + CA pin) → CSR with the kubelet client signer, approved and signed by
 * kube-controller-manager → Node registered, Ready, Lease renewed. ACPI shutdown posts NotReady;
 * a hard stop ends the heartbeats; a restart re-uses the certificate; destroy removes the VM.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { KubeClient, isStatus } from "../../agent/kube/client.ts";
import type { KubeConnectionConfig } from "../../agent/kube/kubeconfig.ts";
import { ProxmoxClient, ProxmoxTaskError } from "../../clients/proxmox/index.ts";
import {
  caCertHash,
  createBootstrapToken,
  joinUserData,
  prepareClusterForJoin,
  startLabProxmox,
  type LabProxmox,
} from "./index.ts";

interface Node {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { providerID?: string };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    capacity?: Record<string, string>;
  };
}
interface Csr {
  metadata: { name: string };
  spec: { signerName: string; username: string; groups?: string[] };
  status?: { certificate?: string; conditions?: { type: string }[] };
}
interface Lease {
  spec: { holderIdentity?: string; renewTime?: string };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const ready = (n: Node | undefined): string | undefined =>
  n?.status?.conditions?.find((c) => c.type === "Ready")?.status;

describe("lab Proxmox workers join a cluster (kubelet TLS bootstrap)", () => {
  const suffix = randomBytes(3).toString("hex");
  let dir = "";
  let pve: LabProxmox;
  let client: ProxmoxClient;
  let kube: KubeClient;
  let admin: KubeConnectionConfig;
  let token = "";
  let endpoint = "";
  let caPem = "";
  const nodes: string[] = [];

  const getNode = (name: string): Promise<Node | undefined> =>
    kube.json<Node>("GET", `/api/v1/nodes/${name}`).catch((e: unknown) => {
      if (isStatus(e, 404)) return undefined;
      throw e;
    });
  const getLease = (name: string): Promise<Lease | undefined> =>
    kube
      .json<Lease>("GET", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`)
      .catch((e: unknown) => {
        if (isStatus(e, 404)) return undefined;
        throw e;
      });

  /** Clones the template, gives it join user data through a snippet, starts it. */
  async function worker(name: string, opts: { cores?: number; memory?: number } = {}): Promise<number> {
    const id = await client.nextId();
    await client.waitForTask(await client.clone("pve1", 9000, { newid: id, name, full: true }));
    const userData = joinUserData({ endpoint, token, caCertHash: caCertHash(caPem), hostname: name });
    await writeFile(join(pve.snippetsDir, `${name}.yaml`), userData);
    await client.setConfig("pve1", id, {
      cores: opts.cores ?? 1,
      memory: opts.memory ?? 1024,
      cicustom: { user: pve.snippetVolume(`${name}.yaml`) },
    });
    await client.waitForTask(await client.start("pve1", id));
    nodes.push(name);
    return id;
  }

  beforeAll(async () => {
    const conn = inject("kube");
    caPem = await readFile(conn.caFile, "utf8");
    admin = { server: conn.server, tls: { ca: caPem }, token: conn.token };
    kube = new KubeClient(admin);
    endpoint = new URL(conn.server).host;
    await prepareClusterForJoin(admin, { server: conn.server, caPem });
    token = await createBootstrapToken(admin, { description: `proxmox lab test ${suffix}` });
    dir = await mkdtemp(join(tmpdir(), "bosun-pve-join-"));
    pve = await startLabProxmox({ stateDir: dir, heartbeatMs: 1000, authFailureDelayMs: 50, taskMs: { qmclone: 50 } });
    client = new ProxmoxClient({ url: pve.url, caFile: pve.caFile, auth: pve.tokens.admin, taskPollMs: 100 });
  });

  afterAll(async () => {
    await client?.close();
    await pve?.stop();
    for (const n of nodes) {
      await kube.json("DELETE", `/api/v1/nodes/${n}`).catch(() => undefined);
      await kube
        .json("DELETE", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n}`)
        .catch(() => undefined);
    }
    if (token)
      await kube
        .json("DELETE", `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${token.split(".")[0]}`)
        .catch(() => undefined);
    kube?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("a started VM registers its Node through a kubelet CSR, Ready and heart-beating; shutdown posts NotReady; a restart re-uses its certificate", async () => {
    const name = `pve-w-${suffix}-a`;
    const id = await worker(name, { cores: 2, memory: 1536 });
    const vm = pve.vms().find((v) => v.vmid === id);
    expect(vm?.status).toBe("running");
    expect(vm?.pid).toBeGreaterThan(0);

    const node = await until("the Node Ready", async () => {
      const n = await getNode(name);
      return ready(n) === "True" ? n : undefined;
    });
    expect(node.spec?.providerID).toBe(`proxmox://lab/${id}`);
    expect(node.status?.capacity?.["cpu"]).toBe("2");
    expect(node.status?.capacity?.["memory"]).toBe("1536Mi");

    // The certificate came from a CSR the bootstrap token made, with the kubelet signer, approved and signed.
    const csrs = await kube.json<{ items: Csr[] }>("GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests");
    const mine = csrs.items.filter((c) => c.spec.username === `system:bootstrap:${token.split(".")[0]}`);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.spec.signerName).toBe("kubernetes.io/kube-apiserver-client-kubelet");
    expect(mine[0]?.status?.conditions?.map((c) => c.type)).toContain("Approved");
    expect(mine[0]?.status?.certificate).toBeTruthy();

    // Heart-beating: the Lease is renewed.
    const first = await until("the node Lease", () => getLease(name));
    expect(first.spec.holderIdentity).toBe(name);
    await until("a renewed Lease", async () => {
      const l = await getLease(name);
      return l?.spec.renewTime !== first.spec.renewTime ? l : undefined;
    });

    // Metrics of the running guest process.
    const s = await client.status("pve1", id);
    expect(s.status).toBe("running");
    expect(s.maxmem).toBe(1536 * 1024 * 1024);
    expect(s.mem).toBeGreaterThan(0);

    // ACPI shutdown: the kubelet posts NotReady and the guest ends.
    await client.waitForTask(await client.shutdown("pve1", id, { timeout: 30 }));
    const down = await getNode(name);
    const cond = down?.status?.conditions?.find((c) => c.type === "Ready");
    expect(cond?.status).toBe("False");
    expect(cond?.message).toBe("node is shutting down");
    expect(pve.vms().find((v) => v.vmid === id)?.status).toBe("stopped");
    expect((await client.status("pve1", id)).status).toBe("stopped");

    // Boot again: Ready again with the certificate on the VM's disk (no second CSR).
    await client.waitForTask(await client.start("pve1", id));
    await until("the Node Ready again", async () => (ready(await getNode(name)) === "True" ? true : undefined));
    const again = await kube.json<{ items: Csr[] }>("GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests");
    expect(again.items.filter((c) => c.spec.username === `system:bootstrap:${token.split(".")[0]}`)).toHaveLength(1);
    expect(await pve.consoleLog(id)).toContain("using the kubelet client certificate on disk");

    // A hard stop kills the guest: the Lease is no longer renewed.
    const pid = pve.vms().find((v) => v.vmid === id)?.pid as number;
    await client.waitForTask(await client.stop("pve1", id));
    expect(() => process.kill(pid, 0)).toThrow();
    const frozen = (await getLease(name))?.spec.renewTime;
    await new Promise((r) => setTimeout(r, 2500)); // longer than two heartbeats: none came
    expect((await getLease(name))?.spec.renewTime).toBe(frozen);

    // Destroy: gone from the lab, its folder too; the token never appears in the console log.
    expect(await pve.consoleLog(id)).not.toContain(token.split(".")[1]);
    await client.waitForTask(await client.destroy("pve1", id, { purge: true }));
    expect(pve.vms().some((v) => v.vmid === id)).toBe(false);
    await expect(readFile(join(dir, "vms", String(id), "console.log"))).rejects.toThrow();
  });

  it("in-process guests (the benchmark mode) join the same way: two workers Ready, an ACPI shutdown posts NotReady", async () => {
    const lab = await startLabProxmox({
      stateDir: join(dir, "in-process"),
      workerMode: "in-process",
      heartbeatMs: 1000,
      authFailureDelayMs: 50,
      taskMs: { qmclone: 50 },
    });
    const c = new ProxmoxClient({ url: lab.url, caFile: lab.caFile, auth: lab.tokens.admin, taskPollMs: 100 });
    try {
      const names = [`pve-w-${suffix}-c`, `pve-w-${suffix}-d`];
      const ids: number[] = [];
      for (const name of names) {
        const id = await c.nextId();
        await c.waitForTask(await c.clone("pve1", 9000, { newid: id, name }));
        await writeFile(
          join(lab.snippetsDir, `${name}.yaml`),
          joinUserData({ endpoint, token, caCertHash: caCertHash(caPem), hostname: name }),
        );
        await c.setConfig("pve1", id, { cores: 1, memory: 512, cicustom: { user: lab.snippetVolume(`${name}.yaml`) } });
        await c.waitForTask(await c.start("pve1", id));
        nodes.push(name);
        ids.push(id);
      }
      for (const [i, name] of names.entries()) {
        const n = await until(`${name} Ready`, async () => {
          const x = await getNode(name);
          return ready(x) === "True" ? x : undefined;
        });
        expect(n.spec?.providerID).toBe(`proxmox://lab/${ids[i]}`);
      }
      await c.waitForTask(await c.shutdown("pve1", ids[0] as number, { timeout: 30 }));
      expect(ready(await getNode(names[0] as string))).toBe("False");
      expect(ready(await getNode(names[1] as string))).toBe("True");
    } finally {
      await c.close();
      await lab.stop();
    }
  });

  it("a cicustom snippet that does not exist fails the start task as qemu-server does, and the VM stays stopped", async () => {
    const id = await client.nextId();
    await client.waitForTask(await client.clone("pve1", 9000, { newid: id, name: `pve-w-${suffix}-b`, full: true }));
    await client.setConfig("pve1", id, { cicustom: { user: pve.snippetVolume("missing.yaml") } });
    const err = await client.waitForTask(await client.start("pve1", id)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxmoxTaskError);
    expect((err as ProxmoxTaskError).exitstatus).toBe("volume 'snippets:snippets/missing.yaml' does not exist");
    expect(pve.vms().find((v) => v.vmid === id)?.status).toBe("stopped");
    await client.waitForTask(await client.destroy("pve1", id));
  });
});
