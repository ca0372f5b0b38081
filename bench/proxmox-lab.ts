/**
 * The Proxmox client against the lab Proxmox (in-process guests, no cluster join): what one worker
 * VM's life cycle costs in requests, and the anchor "timeout after the task started: 0 duplicate
 * VMs" (../shared/research/backend-perf-anchors.md, Kamaji + Proxmox 3).
 *
 *   node --import tsx bench/proxmox-lab.ts [VMS=150] [TRIALS=50]
 *
 * 1. life cycle: VMS workers (50 tenants × 3) over 3 nodes, 10 at a time: nextid, clone (2 s
 *    task), config (cores, memory, cloud-init), start (1 s), status, shutdown (1 s), destroy (0.5 s);
 *    the client polls tasks every 1 s (its default; the first poll at once). Reports wall time,
 *    requests per VM by path, task polls per second per in-flight task.
 * 2. lost answers: TRIALS clones whose answer is held past the client's deadline (the clone has
 *    started), one after another; then 20 at once (several clones of one template in flight: the
 *    client cannot tell their tasks apart and reports instead of guessing). Counts VMs per name.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProxmoxClient, ProxmoxError } from "../clients/proxmox/index.ts";
import { startLabProxmox } from "../lab/proxmox/index.ts";

const VMS = Number(process.argv[2] ?? 150);
const TRIALS = Number(process.argv[3] ?? 50);
const NODES = ["pve1", "pve2", "pve3"];

async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t);
    }),
  );
}

const dir = await mkdtemp(join(tmpdir(), "bosun-pve-bench-"));
let pve = await startLabProxmox({
  stateDir: dir,
  workerMode: "in-process",
  authFailureDelayMs: 3000,
  nodes: NODES.map((name) => ({ name, cores: 64, memoryMiB: 262_144 })),
  templates: NODES.map((node, i) => ({ vmid: 9000 + i, node, name: `tpl-${node}` })),
  // Task durations of the order real ones have (a full clone of a small disk, a boot, an ACPI stop).
  taskMs: { qmclone: 2000, qmstart: 1000, qmshutdown: 1000, qmdestroy: 500 },
});
const client = new ProxmoxClient({ url: pve.url, caFile: pve.caFile, auth: pve.tokens.admin });
const lines: string[] = [];
const out = (l: string): void => {
  lines.push(l);
  process.stdout.write(`${l}\n`);
};
try {
  // ---- 1. life cycle ----
  let inFlightTaskMs = 0;
  const timed = async (upid: string | null): Promise<void> => {
    const t0 = Date.now();
    await client.waitForTask(upid);
    inFlightTaskMs += Date.now() - t0;
  };
  const t0 = Date.now();
  const made: { node: string; id: number }[] = [];
  let next = 100;
  await pool([...Array(VMS).keys()], 10, async (i) => {
    const node = NODES[i % NODES.length] as string;
    const id = next++; // nextid is read too (below), but parallel callers would race for it
    await client.nextId();
    await timed(
      await client.clone(node, 9000 + (i % NODES.length), {
        newid: id,
        name: `t${Math.floor(i / 3)}-w${i % 3}`,
        full: true,
      }),
    );
    await client.setConfig(node, id, { cores: 2, memory: 2048, ciuser: "bosun", ipconfig: { 0: { ip: "dhcp" } } });
    await timed(await client.start(node, id));
    made.push({ node, id });
  });
  const upMs = Date.now() - t0;
  const t1 = Date.now();
  await Promise.all(made.map((m) => client.status(m.node, m.id)));
  const statusMs = Date.now() - t1;
  const t2 = Date.now();
  await pool(made, 10, async (m) => {
    await timed(await client.shutdown(m.node, m.id, { timeout: 30, forceStop: true }));
    await timed(await client.destroy(m.node, m.id, { purge: true }));
  });
  const downMs = Date.now() - t2;
  const counts = [...pve.requestCounts()].sort((a, b) => b[1] - a[1]);
  const polls = pve.requestCounts().get("GET /nodes/{node}/tasks/{upid}/status") ?? 0;
  out(`## Life cycle: ${VMS} VMs over ${NODES.length} nodes, 10 at a time`);
  out("");
  out(`- create (nextid + clone + config + start): ${(upMs / 1000).toFixed(1)} s`);
  out(`- status/current of all ${VMS}, in parallel: ${statusMs} ms`);
  out(`- shutdown + destroy: ${(downMs / 1000).toFixed(1)} s`);
  out(`- requests per VM: ${([...pve.requestCounts().values()].reduce((a, b) => a + b, 0) / VMS).toFixed(1)}`);
  out(
    `- task polls per second per in-flight task: ${(polls / (inFlightTaskMs / 1000)).toFixed(2)} (after the first, immediate poll of each task: ${((polls - 4 * VMS) / (inFlightTaskMs / 1000)).toFixed(2)})`,
  );
  out(
    `- RSS (lab + client + ${VMS} idle in-process guests until destroyed): ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`,
  );
  out("");
  out("| request | count | per VM |");
  out("|---|---:|---:|");
  for (const [k, v] of counts) out(`| \`${k}\` | ${v} | ${(v / VMS).toFixed(2)} |`);
  out("");

  // ---- 2. lost answers (a second lab with 300 ms clones) ----
  await client.close();
  await pve.stop();
  pve = await startLabProxmox({ stateDir: join(dir, "lost"), workerMode: "in-process" });
  const lossy = new ProxmoxClient({
    url: pve.url,
    caFile: pve.caFile,
    auth: pve.tokens.admin,
    timeoutMs: 1000,
    taskPollMs: 100,
  });
  pve.resetRequestCounts();
  let found = 0;
  let reported = 0;
  const t3 = Date.now();
  pve.inject.clear();
  for (let i = 0; i < TRIALS; i++) {
    pve.inject.http({ method: "POST", path: "/clone", delayAnswerMs: 2000 });
    const id = 20_000 + i;
    const upid = await lossy.clone("pve1", 9000, { newid: id, name: `lost-${i}` }).catch((e: unknown) => e);
    if (typeof upid === "string") {
      found++;
      await lossy.waitForTask(upid);
    } else reported++;
  }
  const seqMs = Date.now() - t3;
  const seqRequests = [...pve.requestCounts().values()].reduce((a, b) => a + b, 0);
  let parFound = 0;
  let parReported = 0;
  pve.inject.http({ method: "POST", path: "/clone", delayAnswerMs: 2000, times: 20 });
  await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      try {
        await lossy.waitForTask(await lossy.clone("pve1", 9000, { newid: 30_000 + i, name: `par-${i}` }));
        parFound++;
      } catch (e) {
        if (!(e instanceof ProxmoxError) || e.status !== 0) throw e;
        parReported++;
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 3000));
  const names = pve.vms().map((v) => v.name);
  const dupes = names.length - new Set(names).size;
  const lost = names.filter((n) => n.startsWith("lost-")).length;
  const par = names.filter((n) => n.startsWith("par-")).length;
  await lossy.close();
  out(`## Lost answers (the clone started, its answer held 2 s, past the client's 1 s deadline)`);
  out("");
  out(
    `- one after another: ${TRIALS} trials, ${found} UPIDs found in the task list, ${reported} reported; ${lost} VMs for ${TRIALS} names; ${(seqMs / TRIALS).toFixed(0)} ms and ${(seqRequests / TRIALS).toFixed(1)} requests per trial`,
  );
  out(
    `- 20 at once: ${parFound} found, ${parReported} reported as no answer (several clones of the template in flight), ${par} VMs for 20 names`,
  );
  out(`- duplicate VMs: ${dupes}`);
} finally {
  await client.close().catch(() => undefined);
  await pve.stop();
  await rm(dir, { recursive: true, force: true });
}
