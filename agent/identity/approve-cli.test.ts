/**
 * `bosun-agent approve-csrs` against a fake API server: usage and exit codes, approval of a
 * known device's CSR and denial of an unknown one (inventory looked up in --namespace only), and
 * the real binary stopping on SIGTERM with exit code 0.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../log.ts";
import { USAGE } from "../main.ts";
import { approveCsrsMain, type ApproveCsrsIO } from "./approve-cli.ts";
import { CSR_PATH } from "./csr-approver.ts";
import { buildCsr, deviceCommonName, generateDeviceKey } from "./csr.ts";

const csrOf = (name: string, device: string): object => {
  const k = generateDeviceKey();
  const subject = { commonName: deviceCommonName(device), organization: "bosun:devices" };
  const request = Buffer.from(buildCsr(subject, k.privateKey, k.publicKey));
  return {
    metadata: { name, resourceVersion: "3", labels: { "bosun.dev/device": device } },
    spec: {
      request: request.toString("base64"),
      signerName: "kubernetes.io/kube-apiserver-client",
      usages: ["digital signature", "client auth"],
      username: "system:bootstrap:abcdef",
      groups: ["system:bootstrappers"],
    },
  };
};

let server: http.Server;
let dir: string;
let kubeconfig: string;
const inventoryPaths: string[] = [];
const decisions = new Map<string, { type: string; message: string }>();
let watches = 0;

beforeAll(async () => {
  const csrs = [csrOf("csr-known", "tor1-01"), csrOf("csr-ghost", "tor1-99")];
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const json = (body: unknown): void => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (url.pathname === CSR_PATH && url.searchParams.get("watch") === "1") {
      watches++;
      res.writeHead(200, { "content-type": "application/json" }); // held open until the client leaves
      res.flushHeaders();
    } else if (url.pathname === CSR_PATH) {
      json({ metadata: { resourceVersion: "5" }, items: csrs });
    } else if (url.pathname.startsWith("/apis/azure.com/")) {
      inventoryPaths.push(url.pathname);
      const name = url.searchParams.get("fieldSelector")?.replace("metadata.name=", "");
      json({ items: url.pathname.endsWith("/socs") && name === "tor1-01" ? [{}] : [] });
    } else if (req.method === "PUT" && url.pathname.endsWith("/approval")) {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        type Decided = { metadata: { name: string }; status: { conditions: { type: string; message: string }[] } };
        const csr = JSON.parse(body) as Decided;
        const last = csr.status.conditions.at(-1);
        if (last) decisions.set(csr.metadata.name, last);
        json(csr);
      });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  dir = await mkdtemp(join(tmpdir(), "bosun-approve-cli-"));
  kubeconfig = join(dir, "kubeconfig");
  const { port } = server.address() as AddressInfo;
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "fake",
      clusters: [{ name: "fake", cluster: { server: `http://127.0.0.1:${port}` } }],
      users: [{ name: "op", user: { token: "t0ken" } }],
      contexts: [{ name: "fake", context: { cluster: "fake", user: "op" } }],
    }),
  );
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

async function waitFor(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function io(stop?: AbortSignal): ApproveCsrsIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = (t: string): number => out.push(t);
  const stderr = (t: string): number => err.push(t);
  return { out, err, stdout, stderr, log: silentLogger, ...(stop ? { stop } : {}) };
}

describe("bosun-agent approve-csrs", () => {
  it("is listed by --help and documents itself; usage errors exit 2, an unreadable kubeconfig 1", async () => {
    expect(USAGE).toContain("bosun-agent approve-csrs --kubeconfig FILE");
    const help = io();
    expect(await approveCsrsMain(["--help"], help)).toBe(0);
    expect(help.out.join("")).toMatch(/^usage: bosun-agent approve-csrs .*\n[\s\S]*Exit codes: 0 after SIGTERM/);
    expect(await approveCsrsMain([], io())).toBe(2);
    expect(await approveCsrsMain(["--kubeconfig", kubeconfig, "--bogus"], io())).toBe(2);
    expect(await approveCsrsMain(["--kubeconfig", kubeconfig, "--log-level", "loud"], io())).toBe(2);
    expect(await approveCsrsMain(["--kubeconfig", join(dir, "missing")], io())).toBe(1);
  });

  it("approves a known device's CSR, denies an unknown one with the reason, looks only in --namespace", async () => {
    const stop = new AbortController();
    const run = approveCsrsMain(["--kubeconfig", kubeconfig, "--namespace", "inventory"], io(stop.signal));
    await waitFor("both decisions", () => decisions.size === 2);
    stop.abort();
    expect(await run).toBe(0);
    const approved = { type: "Approved", message: "bootstrap token for a known device" };
    expect(decisions.get("csr-known")).toMatchObject(approved);
    expect(decisions.get("csr-ghost")).toMatchObject({ type: "Denied", message: "unknown device tor1-99" });
    expect(inventoryPaths.length).toBeGreaterThan(0);
    expect(inventoryPaths.every((p) => p.startsWith("/apis/azure.com/v1alpha1/namespaces/inventory/"))).toBe(true);
  });

  it("runs from the real binary until SIGTERM, then exits 0", { timeout: 60_000 }, async () => {
    const before = watches;
    const bin = join(import.meta.dirname, "../../bin/bosun-agent.mjs");
    const args = [bin, "approve-csrs", "--kubeconfig", kubeconfig];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr.on("data", (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      // Its own start line (signal handlers are in place) and a watch after it: an earlier test's late watch
      // request must not make this one signal a process that is still loading.
      await waitFor("the child's start", () => log.includes("CSR approver started"), 50_000);
      await waitFor("the CSR watch", () => watches > before, 50_000);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(log).toContain("CSR approver stopped");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
