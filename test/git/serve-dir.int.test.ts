/**
 * `bosun serve --dir`: the real CLI on a local working tree against the lab kube-apiserver.
 * An edit reaches the cluster, an invalid edit does not (the last good state stays), status
 * documents land in --status-dir, SIGTERM exits cleanly; without cluster settings it is a usage error.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { createTestNamespace, kubeClient, kubeConnection, type TestNamespace } from "../support/kube.ts";
import { waitFor } from "./helpers.ts";

const root = join(import.meta.dirname, "../..");
const bosun = join(root, "bin/bosun.mjs");
let client: KubeClient;
let ns: TestNamespace;
let work: string;
let child: ChildProcess | undefined;
let output = "";

const configMap = (value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ${ns.name}\ndata:\n  value: "${value}"\n`;

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(work, "tree", path)), { recursive: true });
  await writeFile(join(work, "tree", path), text);
}

async function liveValue(): Promise<string | undefined> {
  const o = await client.get({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "a" });
  return (o?.["data"] as Record<string, string> | undefined)?.["value"];
}

beforeAll(async () => {
  client = kubeClient();
  ns = await createTestNamespace(client, "serve-dir");
  work = await mkdtemp(join(tmpdir(), "bosun-serve-dir-"));
  await put("apps/a.yaml", configMap("1"));
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await ns.cleanup();
  client.close();
  await rm(work, { recursive: true, force: true });
});

describe("bosun serve --dir", () => {
  it("is a usage error without cluster settings", async () => {
    const code = await new Promise<number | null>((resolve) => {
      const p = execFile(
        process.execPath,
        [bosun, "serve", "--dir", join(work, "tree")],
        { cwd: root, timeout: 60_000 },
        () => resolve(p.exitCode),
      );
    });
    expect(code).toBe(2);
  });

  it("reconciles the working tree on change, keeps the last good state on an invalid edit, exits on SIGTERM", async () => {
    // The config file has a git: section; --dir replaces it.
    const config = join(work, "engine.yaml");
    await writeFile(
      config,
      stringify({
        git: { repo: { url: "http://127.0.0.1:9/never-used.git", mirrorDir: join(work, "mirror") } },
        kubernetes: { stateNamespace: ns.name },
        listen: { host: "127.0.0.1", port: 0 },
      }),
    );
    const statusDir = join(work, "status");
    child = spawn(
      process.execPath,
      [
        bosun,
        "serve",
        "--config",
        config,
        "--dir",
        join(work, "tree"),
        "--kubeconfig",
        kubeConnection().kubeconfigPath,
        "--status-dir",
        statusDir,
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });

    await waitFor(async () => (await liveValue()) === "1", "initial tree applied to the cluster", 60_000);
    expect(output).toContain("local directory loop started");
    expect(output).not.toContain("never-used");
    await waitFor(
      async () => (await readFile(join(statusDir, "_commit.yaml"), "utf8").catch(() => "")).includes("phase: Applied"),
      "status folder written",
    );

    await put("apps/a.yaml", configMap("2"));
    await waitFor(async () => (await liveValue()) === "2", "edit applied to the cluster", 60_000);

    await put("apps/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [broken\n");
    await waitFor(() => output.includes("is invalid; keeping"), "invalid edit logged", 60_000);
    await waitFor(
      async () => (await readFile(join(statusDir, "_commit.yaml"), "utf8")).includes("phase: Invalid"),
      "status says Invalid",
    );
    expect(await liveValue()).toBe("2");

    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
