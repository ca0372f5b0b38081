/**
 * The Proxmox client against the lab Proxmox over real HTTPS: both auth modes (API token; ticket +
 * CSRFPreventionToken, renewed after a server restart), task polling (OK, failed exitstatus with
 * log, timeout), every error shape (400 + errors, 401, 403, 500 handler errors, 501, the status
 * line), permissions per token, faults (transient 500s retried, a hung server, an answer lost after
 * the task started: found, not repeated), TLS verification, no credential in an error, and every
 * answer checked against the spec's `returns` schema. The lab validates every request the client
 * sends against the spec's parameter schema (a non-conforming request would get a 400).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ProxmoxClient,
  ProxmoxError,
  ProxmoxTaskError,
  ProxmoxTaskTimeoutError,
  parseUpid,
  type ProxmoxAuth,
} from "../../clients/proxmox/index.ts";
import { startLabProxmox, type LabProxmox } from "../../lab/proxmox/index.ts";
import { returnsProblems } from "./proxmox-schema.ts";

const NODES = [
  { name: "pve1", cores: 8, memoryMiB: 8192 },
  { name: "pve2", cores: 4, memoryMiB: 4096 },
];
let dir = "";
let pve: LabProxmox;
const clients: ProxmoxClient[] = [];

function client(auth: ProxmoxAuth, over: Partial<ConstructorParameters<typeof ProxmoxClient>[0]> = {}): ProxmoxClient {
  const c = new ProxmoxClient({ url: pve.url, caFile: pve.caFile, auth, taskPollMs: 25, backoffMs: 20, ...over });
  clients.push(c);
  return c;
}

async function rawFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const { Agent, fetch } = await import("undici");
  const { readFileSync } = await import("node:fs");
  const dispatcher = new Agent({ connect: { ca: readFileSync(pve.caFile, "utf8") } });
  try {
    const res = await fetch(`${pve.url}/api2/json${path}`, { ...(init as object), dispatcher });
    const body = await res.text();
    return new Response(body, {
      status: res.status,
      statusText: res.statusText,
      headers: { "x-status-text": res.statusText },
    });
  } finally {
    await dispatcher.close();
  }
}

const tokenHeader = (t: { tokenId: string; secret: string }): Record<string, string> => ({
  authorization: `PVEAPIToken=${t.tokenId}=${t.secret}`,
});

async function fail(p: Promise<unknown>): Promise<ProxmoxError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ProxmoxError);
  return e as ProxmoxError;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-pve-contract-"));
  pve = await startLabProxmox({
    stateDir: dir,
    workerMode: "in-process",
    authFailureDelayMs: 20,
    taskMs: { qmclone: 100 },
    nodes: NODES,
  });
}, 120_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await pve?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe.each([
  ["API token", (): ProxmoxAuth => pve.tokens.admin],
  ["ticket + CSRF token", (): ProxmoxAuth => pve.tokens.root],
])("a worker VM's life cycle with %s auth", { timeout: 60_000 }, (_label, auth) => {
  it("nextid → clone (locked until done) → config → resize → start → status → shutdown → destroy, each answer as the spec says", async () => {
    const c = client(auth());
    const version = await c.version();
    expect(returnsProblems("/version", "GET", version)).toEqual([]);
    const nodes = await c.nodes();
    expect(returnsProblems("/nodes", "GET", nodes)).toEqual([]);
    expect(nodes.map((n) => n.node)).toEqual(["pve1", "pve2"]);

    const raw = await c.nextId();
    expect(returnsProblems("/cluster/nextid", "GET", String(raw))).toEqual([]);
    const id = raw;
    expect(pve.vms().some((v) => v.vmid === id)).toBe(false);

    pve.inject.taskDelay({ type: "qmclone", ms: 3000 }); // a window to see the lock in
    const upid = await c.clone("pve1", 9000, { newid: id, name: `cc-${id}`, full: true, description: "contract" });
    expect(returnsProblems("/nodes/{node}/qemu/{vmid}/clone", "POST", upid)).toEqual([]);
    const parsed = parseUpid(upid);
    expect(parsed).toMatchObject({ node: "pve1", type: "qmclone", id: "9000", user: c.user });
    expect(pve.vms().find((v) => v.vmid === id)?.lock).toBe("clone");
    const locked = await fail(c.setConfig("pve1", id, { cores: 2 }));
    expect(locked.status).toBe(500);
    expect(locked.reason).toBe("VM is locked (clone)");
    const done = await c.waitForTask(upid);
    expect(done?.exitstatus).toBe("OK");
    expect(returnsProblems("/nodes/{node}/tasks/{upid}/status", "GET", done)).toEqual([]);
    const log = await c.taskLog(upid);
    expect(returnsProblems("/nodes/{node}/tasks/{upid}/log", "GET", log)).toEqual([]);
    expect(log.at(-1)?.t).toBe("TASK OK");

    const before = await c.config("pve1", id);
    expect(returnsProblems("/nodes/{node}/qemu/{vmid}/config", "GET", before)).toEqual([]);
    expect(before.name).toBe(`cc-${id}`);
    expect(before.template).toBeUndefined();
    await c.setConfig("pve1", id, {
      cores: 2,
      memory: 1024,
      ciuser: "bosun",
      sshkeys: ["ssh-ed25519 AAAAC3Nza bosun@lab", "ssh-rsa AAAAB3Nza other@lab"],
      ipconfig: { 0: { ip: "10.0.0.5/24", gw: "10.0.0.1" } },
      tags: ["tenant-acme", "bosun"],
      digest: before.digest,
    });
    const after = await c.config("pve1", id);
    expect(after).toMatchObject({ cores: 2, memory: "1024", ciuser: "bosun", ipconfig0: "gw=10.0.0.1,ip=10.0.0.5/24" });
    expect(decodeURIComponent(after.sshkeys as string).split("\n")).toHaveLength(2);
    expect(after.digest).not.toBe(before.digest);
    // A stale digest: the change is refused, nothing applied.
    const stale = await fail(c.setConfig("pve1", id, { cores: 4, digest: before.digest }));
    expect(stale.status).toBe(500);
    expect(stale.reason).toContain("detected modified configuration");
    expect((await c.config("pve1", id)).cores).toBe(2);
    // The async form: a qmconfig task.
    await c.waitForTask(await c.updateConfig("pve1", id, { description: "async", delete: ["tags"] }));
    expect((await c.config("pve1", id)).tags).toBeUndefined();

    await c.waitForTask(await c.resizeDisk("pve1", id, "scsi0", "+5G"));
    expect((await c.config("pve1", id)).scsi0).toContain("size=15G");

    await c.waitForTask(await c.start("pve1", id));
    const running = await c.status("pve1", id);
    expect(returnsProblems("/nodes/{node}/qemu/{vmid}/status/current", "GET", running)).toEqual([]);
    expect(running).toMatchObject({ vmid: id, status: "running", cpus: 2, maxmem: 1024 * 1024 * 1024 });
    const listed = await c.listVms("pve1");
    expect(returnsProblems("/nodes/{node}/qemu", "GET", listed)).toEqual([]);
    expect(listed.find((v) => v.vmid === id)?.status).toBe("running");
    const resources = await c.resources("vm");
    expect(returnsProblems("/cluster/resources", "GET", resources)).toEqual([]);
    expect(resources.find((r) => r.vmid === id)).toMatchObject({ id: `qemu/${id}`, type: "qemu", node: "pve1" });

    // Running: start again fails in the task, destroy refuses.
    const again = await c.waitForTask(await c.start("pve1", id)).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ProxmoxTaskError);
    expect((again as ProxmoxTaskError).exitstatus).toBe(`VM ${id} already running`);
    expect((again as ProxmoxTaskError).log.at(-1)).toBe(`TASK ERROR: VM ${id} already running`);
    const busy = await fail(c.destroy("pve1", id));
    expect(busy.status).toBe(500);
    expect(busy.reason).toBe(`VM ${id} is running - destroy failed`);

    await c.waitForTask(await c.shutdown("pve1", id, { timeout: 30, forceStop: true }));
    expect((await c.status("pve1", id)).status).toBe("stopped");
    const tasks = await c.tasks("pve1", { vmid: id, source: "all" });
    expect(returnsProblems("/nodes/{node}/tasks", "GET", tasks)).toEqual([]);
    expect(tasks.map((t) => t.type)).toContain("qmshutdown");
    const gone = await c.destroy("pve1", id, { purge: true });
    expect(returnsProblems("/nodes/{node}/qemu/{vmid}", "DELETE", gone)).toEqual([]);
    await c.waitForTask(gone);
    expect(pve.vms().some((v) => v.vmid === id)).toBe(false);
    const missing = await fail(c.status("pve1", id));
    expect(missing.notFound).toBe(true);
    expect(missing.reason).toBe(`Configuration file 'nodes/pve1/qemu-server/${id}.conf' does not exist`);
  });
});

describe("error shapes", { timeout: 60_000 }, () => {
  it("400 Parameter verification failed. with errors per parameter, in the status line and the body; nothing created", async () => {
    const c = client(pve.tokens.admin);
    const e = await fail(c.clone("pve1", 9000, { newid: 42, name: "not_a_dns_name" }));
    expect(e.status).toBe(400);
    expect(e.reason).toBe("Parameter verification failed.");
    expect(e.errors["newid"]).toBe("value must have a minimum value of 100");
    expect(e.errors["name"]).toContain("invalid format");
    expect(pve.vms().some((v) => v.vmid === 42)).toBe(false);

    const res = await rawFetch("/nodes/pve1/qemu/9000/clone", {
      method: "POST",
      headers: { ...tokenHeader(pve.tokens.admin), "content-type": "application/x-www-form-urlencoded" },
      body: "newid=abc&bogus=1",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-status-text")).toBe("Parameter verification failed.");
    expect(await res.json()).toEqual({
      data: null,
      message: "Parameter verification failed.\n",
      errors: {
        newid: "type check ('integer') failed - got 'abc'",
        bogus: "property is not defined in schema and the schema does not allow additional properties",
      },
    });

    const taken = await fail(c.nextId(undefined, 9000));
    expect(taken.status).toBe(400);
    expect(taken.errors["vmid"]).toBe("VM 9000 already exists");
  });

  it("401: no ticket, a wrong token secret, a wrong password, a ticket write without CSRF token — never echoing a credential", async () => {
    const noAuth = await rawFetch("/nodes");
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get("x-status-text")).toBe("No ticket");

    const wrongSecret = "11111111-2222-3333-4444-555555555555";
    const e = await fail(client({ tokenId: pve.tokens.admin.tokenId, secret: wrongSecret }).nodes());
    expect(e.status).toBe(401);
    expect(e.unauthorized).toBe(true);
    expect(e.message).not.toContain(wrongSecret);
    expect(JSON.stringify(e)).not.toContain(wrongSecret);

    const badPassword = "not-the-password";
    const p = await fail(client({ username: "root@pam", password: badPassword }).nodes());
    expect(p.status).toBe(401);
    expect(p.reason).toBe("authentication failure");
    expect(p.message).not.toContain(badPassword);

    const login = await rawFetch("/access/ticket", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "root@pam", password: pve.tokens.root.password }).toString(),
    });
    const ticket = ((await login.json()) as { data: { ticket: string; CSRFPreventionToken: string } }).data;
    expect(returnsProblems("/access/ticket", "POST", ticket)).toEqual([]);
    const cookie = { cookie: `PVEAuthCookie=${ticket.ticket}` };
    expect((await rawFetch("/nodes", { headers: cookie })).status).toBe(200);
    const noCsrf = await rawFetch("/nodes/pve1/qemu/9000/status/start", { method: "POST", headers: cookie });
    expect(noCsrf.status).toBe(401);
    expect(noCsrf.headers.get("x-status-text")).toBe("Permission denied - invalid csrf token");
  });

  it("403 Permission check failed for the read-only token's writes; its reads work", async () => {
    const ro = client(pve.tokens.readonly);
    expect((await ro.status("pve1", 9000)).template).toBe(1);
    expect((await ro.resources("vm")).some((r) => r.vmid === 9000)).toBe(true);
    const start = await fail(ro.start("pve1", 9000));
    expect(start.status).toBe(403);
    expect(start.forbidden).toBe(true);
    expect(start.reason).toBe("Permission check failed (/vms/9000, VM.PowerMgmt)");
    const clone = await fail(ro.clone("pve1", 9000, { newid: 777 }));
    expect(clone.reason).toBe("Permission check failed (/vms/9000, VM.Clone)");
    const cfg = await fail(ro.setConfig("pve1", 9000, { cores: 4 }));
    expect(cfg.status).toBe(403);
    expect(pve.vms().some((v) => v.vmid === 777)).toBe(false);
  });

  it("500 handler errors: a template that does not exist, a node that does not exist; 501 for an unknown path", async () => {
    const c = client(pve.tokens.admin);
    const noTemplate = await fail(c.clone("pve1", 9999, { newid: 600 }));
    expect(noTemplate.status).toBe(500);
    expect(noTemplate.notFound).toBe(true);
    expect(noTemplate.reason).toBe("Configuration file 'nodes/pve1/qemu-server/9999.conf' does not exist");
    // The template lives on pve1: addressed on pve2 it does not exist there.
    expect((await fail(c.clone("pve2", 9000, { newid: 600 }))).reason).toBe(
      "Configuration file 'nodes/pve2/qemu-server/9000.conf' does not exist",
    );
    expect((await fail(c.listVms("pve9"))).reason).toBe("no such cluster node 'pve9'");
    expect(pve.vms().some((v) => v.vmid === 600)).toBe(false);
    const res = await rawFetch("/nodes/pve1/nothing-here", { headers: tokenHeader(pve.tokens.admin) });
    expect(res.status).toBe(501);
    expect(res.headers.get("x-status-text")).toBe("Method 'GET /nodes/pve1/nothing-here' not implemented");
  });

  it("a size the node cannot hold: the start task fails as qemu-server's does (vCPUs; memory)", async () => {
    const c = client(pve.tokens.admin);
    const id = await c.nextId();
    await c.waitForTask(await c.clone("pve1", 9000, { newid: id, name: "too-big", target: "pve2" }));
    await c.setConfig("pve2", id, { cores: 6 });
    const cpu = await c.waitForTask(await c.start("pve2", id)).catch((e: unknown) => e);
    expect((cpu as ProxmoxTaskError).exitstatus).toBe("MAX 4 vcpus allowed per VM on this node");
    await c.setConfig("pve2", id, { cores: 2, memory: 8192 });
    const mem = await c.waitForTask(await c.start("pve2", id)).catch((e: unknown) => e);
    expect((mem as ProxmoxTaskError).exitstatus).toBe("start failed: QEMU exited with code 1");
    expect((mem as ProxmoxTaskError).log).toContain("kvm: cannot set up guest memory 'pc.ram': Cannot allocate memory");
    expect(pve.vms().find((v) => v.vmid === id)?.status).toBe("stopped");
    await c.waitForTask(await c.destroy("pve2", id));
  });
});

describe("tasks and faults", { timeout: 60_000 }, () => {
  it("an injected task failure: ProxmoxTaskError with the exit status, and the failed clone leaves no VM", async () => {
    const c = client(pve.tokens.admin);
    const id = await c.nextId();
    pve.inject.taskFailure({ type: "qmclone", message: "clone failed: storage 'vmstore' is full" });
    const e = await c.waitForTask(await c.clone("pve1", 9000, { newid: id, name: "fails" })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProxmoxTaskError);
    expect((e as ProxmoxTaskError).exitstatus).toBe("clone failed: storage 'vmstore' is full");
    expect((e as ProxmoxTaskError).code).toBe("PROXMOX_TASK_FAILED");
    expect(pve.vms().some((v) => v.vmid === id)).toBe(false);
  });

  it("a slow clone: the wait times out (the task goes on, the VM stays locked), a second wait sees it finish", async () => {
    const c = client(pve.tokens.admin);
    const id = await c.nextId();
    pve.inject.taskDelay({ type: "qmclone", ms: 4000 });
    const upid = await c.clone("pve1", 9000, { newid: id, name: "slow" });
    const e = await c.waitForTask(upid, { timeoutMs: 200 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProxmoxTaskTimeoutError);
    expect((e as ProxmoxTaskTimeoutError).upid).toBe(upid);
    expect(pve.vms().find((v) => v.vmid === id)?.lock).toBe("clone");
    expect((await c.waitForTask(upid))?.exitstatus).toBe("OK");
    expect(pve.vms().find((v) => v.vmid === id)?.lock).toBeUndefined();
    await c.waitForTask(await c.destroy("pve1", id));
  });

  it("transient 500s are retried (reads, and writes that did nothing); a handler's 500 is not", async () => {
    const c = client(pve.tokens.admin);
    pve.resetRequestCounts();
    pve.inject.http({
      method: "GET",
      path: "/cluster/resources",
      message: "cfs-lock 'file-x' error: got lock request timeout",
      times: 2,
    });
    expect((await c.resources("vm")).length).toBeGreaterThan(0);
    expect(pve.requestCounts().get("GET /cluster/resources")).toBe(3);

    const id = await c.nextId();
    pve.inject.http({
      method: "POST",
      path: "/clone",
      message: "can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout",
    });
    await c.waitForTask(await c.clone("pve1", 9000, { newid: id, name: "retried" }));
    expect(pve.requestCounts().get("POST /nodes/{node}/qemu/{vmid}/clone")).toBe(2);
    expect(pve.vms().filter((v) => v.name === "retried")).toHaveLength(1);

    pve.inject.http({ method: "POST", path: "/status/start", message: "unable to start: something broke" });
    const e = await fail(c.start("pve1", id));
    expect(e.status).toBe(500);
    expect(e.transient).toBe(false);
    expect(pve.requestCounts().get("POST /nodes/{node}/qemu/{vmid}/status/start")).toBe(1);

    // Retries end: a read that keeps failing reports the last 500.
    pve.inject.http({ method: "GET", path: "/version", status: 503, message: "Service Unavailable", times: 5 });
    const down = await fail(c.version());
    expect(down.status).toBe(503);
    expect(down.transient).toBe(true);
    pve.inject.clear();
    await c.waitForTask(await c.destroy("pve1", id));
  });

  it("a hung server: the request deadline fires (no answer), the retry gets through; an answer lost after the clone started is found in the task list, not repeated", async () => {
    const c = client(pve.tokens.admin, { timeoutMs: 1000 });
    pve.resetRequestCounts();
    pve.inject.http({ method: "GET", path: "/nodes", delayMs: 2500 });
    expect((await c.nodes()).length).toBe(2);
    expect(pve.requestCounts().get("GET /nodes")).toBe(2);

    const id = await c.nextId();
    pve.inject.http({ method: "POST", path: "/clone", delayAnswerMs: 2500 });
    const upid = await c.clone("pve1", 9000, { newid: id, name: "answer-lost" });
    expect(parseUpid(upid)?.type).toBe("qmclone");
    expect(pve.requestCounts().get("POST /nodes/{node}/qemu/{vmid}/clone")).toBe(1);
    expect(pve.requestCounts().get("GET /nodes/{node}/tasks")).toBe(1);
    await c.waitForTask(upid);
    expect(pve.vms().filter((v) => v.name === "answer-lost")).toHaveLength(1);

    // Nothing started and no answer: the write is not lost either (retried after the task list shows nothing).
    const id2 = await c.nextId();
    pve.inject.http({ method: "POST", path: "/clone", delayMs: 2500 });
    await c.waitForTask(await c.clone("pve1", 9000, { newid: id2, name: "hung-then-ok" }));
    expect(pve.vms().filter((v) => v.name === "hung-then-ok")).toHaveLength(1);
    await c.waitForTask(await c.destroy("pve1", id));
    await c.waitForTask(await c.destroy("pve1", id2));
  });
});

describe("lost answers of parallel clones", { timeout: 60_000 }, () => {
  it("several clones of one template whose answers are lost: each is found or reported, never cloned twice", async () => {
    const c = client(pve.tokens.admin, { timeoutMs: 1000 });
    const base = await c.nextId();
    pve.inject.http({ method: "POST", path: "/clone", delayAnswerMs: 2500, times: 3 });
    const outcomes = await Promise.all(
      [0, 1, 2].map((i) =>
        c.clone("pve1", 9000, { newid: base + i, name: `par-lost-${i}` }).then(
          (upid) => parseUpid(upid)?.type,
          (e: unknown) => (e instanceof ProxmoxError ? `no answer ${e.status}` : String(e)),
        ),
      ),
    );
    for (const o of outcomes) expect(["qmclone", "no answer 0"]).toContain(o);
    await new Promise((r) => setTimeout(r, 2500)); // the held answers have gone out
    const mine = pve.vms().filter((v) => v.name.startsWith("par-lost-"));
    expect(mine.map((v) => v.name).sort()).toEqual(["par-lost-0", "par-lost-1", "par-lost-2"]);
    for (const v of mine) {
      await c.waitForTask(
        await c.destroy("pve1", v.vmid).catch(async () => {
          // still locked by its clone: wait for the lock to go, then destroy
          for (let i = 0; i < 100 && pve.vms().find((x) => x.vmid === v.vmid)?.lock; i++)
            await new Promise((r) => setTimeout(r, 50));
          return c.destroy("pve1", v.vmid);
        }),
      );
    }
  });
});

describe("storage locks", { timeout: 60_000 }, () => {
  it("parallel full clones queue for their node's storage lock; the one that waits past the timeout fails as pmxcfs does", async () => {
    const lab = await startLabProxmox({
      stateDir: join(dir, "locks"),
      workerMode: "in-process",
      taskMs: { qmclone: 0 },
      storageLock: { fullCloneMs: 2500, linkedCloneMs: 20, timeoutMs: 3000 },
    });
    const c = new ProxmoxClient({ url: lab.url, caFile: lab.caFile, auth: lab.tokens.admin, taskPollMs: 25 });
    try {
      const upids = [];
      for (const id of [201, 202, 203])
        upids.push(await c.clone("pve1", 9000, { newid: id, name: `lock-${id}`, full: true }));
      const results = await Promise.all(
        upids.map((u) =>
          c.waitForTask(u).then(
            () => "OK",
            (e: ProxmoxTaskError) => e.exitstatus,
          ),
        ),
      );
      expect(results).toEqual(["OK", "OK", "clone failed: cfs-lock 'storage-vmstore' error: got lock request timeout"]);
      expect(lab.lockTimeouts()).toBe(1);
      expect(
        lab
          .vms()
          .filter((v) => v.name.startsWith("lock-"))
          .map((v) => v.vmid),
      ).toEqual([201, 202]);
      // Linked clones hold the lock briefly: three in parallel all succeed.
      const linked = [];
      for (const id of [211, 212, 213]) linked.push(await c.clone("pve1", 9000, { newid: id, name: `linked-${id}` }));
      for (const u of linked) expect((await c.waitForTask(u))?.exitstatus).toBe("OK");
    } finally {
      await c.close();
      await lab.stop();
    }
  });
});

describe("TLS and restarts", { timeout: 60_000 }, () => {
  it("verifies the server against the CA: without it the call fails; an http:// URL is refused", async () => {
    const noCa = new ProxmoxClient({ url: pve.url, auth: pve.tokens.admin, attempts: 1 });
    clients.push(noCa);
    const e = await fail(noCa.version());
    expect(e.status).toBe(0);
    expect(e.reason).toMatch(/self.signed|unable to (get|verify)|CERT/i);
    expect(() => new ProxmoxClient({ url: pve.url.replace("https", "http"), auth: pve.tokens.admin })).toThrow(
      /must be https/,
    );
  });

  it("a restarted server keeps its VMs; the ticket client logs in again on the 401", async () => {
    const port = Number(new URL(pve.url).port);
    const c = client(pve.tokens.root);
    const id = await c.nextId();
    await c.waitForTask(await c.clone("pve1", 9000, { newid: id, name: "survivor" }));
    await c.waitForTask(await c.start("pve1", id));
    await pve.stop();
    pve = await startLabProxmox({
      stateDir: dir,
      workerMode: "in-process",
      authFailureDelayMs: 20,
      port,
      nodes: NODES,
    });
    expect(pve.vms().find((v) => v.vmid === id)).toMatchObject({ name: "survivor", status: "running" });
    // The old ticket is not valid on the new server (new signing key): 401, new ticket, success.
    expect((await c.status("pve1", id)).status).toBe("running");
    expect(c.requests.get("POST /access/ticket")).toBe(2);
    await c.waitForTask(await c.stop("pve1", id));
    await c.waitForTask(await c.destroy("pve1", id));
  });
});
