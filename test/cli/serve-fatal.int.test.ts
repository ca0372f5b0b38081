/**
 * `bosun serve` (the real CLI process) with each fatal start-up problem exits 1 with one line
 * naming the problem and the fix, and leaves nothing running (no hang, no listening port).
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";

const root = join(import.meta.dirname, "../..");
let dir: string;
let kubeconfig: string;
let busy: Server;
let busyPort: number;

/** Runs `bosun serve --config FILE`; resolves with its exit code and output once it exits. */
async function serve(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stderr: string }> {
  const file = join(dir, `engine-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify(config));
  const child = spawn(process.execPath, [join(root, "bin/bosun.mjs"), "serve", "--config", file], {
    cwd: root,
    env: { ...env, BOSUN_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  return { code, stderr };
}

function config(extra: { git?: Record<string, unknown>; [key: string]: unknown } = {}): Record<string, unknown> {
  const { git, ...rest } = extra;
  return {
    git: { repo: { url: "http://127.0.0.1:9/fleet.git", mirrorDir: join(dir, "mirror") }, ...git },
    kubernetes: { kubeconfig },
    listen: { host: "127.0.0.1", port: 0 },
    ...rest,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-serve-fatal-"));
  kubeconfig = join(dir, "kubeconfig");
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:9" } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  busyPort = (busy.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe("bosun serve exits 1 on a fatal start-up problem", () => {
  it("an invalid engine config (unknown key), with file:line:col", async () => {
    const { code, stderr } = await serve({ ...config(), kubernets: {} });
    expect(code).toBe(1);
    expect(stderr).toMatch(/engine-\w+\.yaml:\d+:1: UNKNOWN_FIELD engine config: kubernets is not a known field/);
  });

  it("an unreadable git credentials file", async () => {
    const missing = join(dir, "no-such-credentials.yaml");
    const { code, stderr } = await serve(
      config({
        git: {
          repo: {
            url: "http://127.0.0.1:9/fleet.git",
            mirrorDir: join(dir, "m1"),
            credentials: { kind: "file", path: missing },
          },
        },
      }),
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      `git credentials file ${missing}: cannot read it: ENOENT (check the path in the engine config)`,
    );
  });

  it("a listen port in use", async () => {
    const { code, stderr } = await serve({ ...config(), listen: { host: "127.0.0.1", port: busyPort } });
    expect(code).toBe(1);
    expect(stderr).toContain(`listen 127.0.0.1:${busyPort}: is in use by another process; pick another listen.port`);
  });

  it("a webhook port in use", async () => {
    const { code, stderr } = await serve(
      config({ git: { webhook: { port: busyPort, secretEnv: "BOSUN_TEST_WEBHOOK_SECRET" } } }),
      { ...process.env, BOSUN_TEST_WEBHOOK_SECRET: "s3cret-value" },
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      `git.webhook 127.0.0.1:${busyPort}: is in use by another process; pick another git.webhook.port`,
    );
    expect(stderr).not.toContain("s3cret-value");
  });

  it("a kubeconfig that does not exist", async () => {
    const { code, stderr } = await serve({ ...config(), kubernetes: { kubeconfig: join(dir, "nope") } });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `kubernetes.kubeconfig ${join(dir, "nope")}: does not exist; point it at a kubeconfig file`,
    );
  });

  it("no kubeconfig anywhere (instead of client-node's http://localhost:8080)", async () => {
    const { KUBECONFIG: _k, KUBERNETES_SERVICE_HOST: _h, ...env } = process.env;
    const { code, stderr } = await serve({ ...config(), kubernetes: {} }, { ...env, HOME: dir });
    expect(code).toBe(1);
    expect(stderr).toContain("cluster: no kubeconfig found");
    expect(stderr).toContain("set kubernetes.kubeconfig to a kubeconfig file");
    expect(stderr).not.toContain("HTTP protocol is not allowed");
  });

  it("a webhook secret variable that is not set", async () => {
    const { BOSUN_TEST_UNSET_SECRET: _s, ...env } = process.env;
    const { code, stderr } = await serve(
      config({ git: { webhook: { port: 0, secretEnv: "BOSUN_TEST_UNSET_SECRET" } } }),
      env,
    );
    expect(code).toBe(1);
    expect(stderr).toContain("webhook secret");
    expect(stderr).toContain("BOSUN_TEST_UNSET_SECRET");
  });

  it("a mirror folder that cannot be written", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "not a folder");
    const { code, stderr } = await serve(
      config({ git: { repo: { url: "http://127.0.0.1:9/fleet.git", mirrorDir: join(file, "mirror") } } }),
    );
    expect(code).toBe(1);
    expect(stderr).toContain(`git.repo.mirrorDir ${join(file, "mirror")}: cannot be used (ENOTDIR)`);
  });
});
