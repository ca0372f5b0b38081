/**
 * Local-directory mode against a real temp folder and a real chokidar watch: changes reach the
 * consumer (the port boundary, recorded here), bursts coalesce, invalid edits are not applied,
 * fixes are, status documents land in the status folder, and a stopped loop lets the process exit.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DesiredState } from "../desired/load-fleet.ts";
import { createLogger } from "../log/logger.ts";
import type { ObjectStatus } from "../status/types.ts";
import type { ApplyContext, DesiredStateConsumer } from "./consumer.ts";
import { LocalDirLoop } from "./local-dir-loop.ts";
import type { LocalPassOutcome } from "./local-pass.ts";

class RecordingConsumer implements DesiredStateConsumer {
  readonly calls: { revision: string; keys: string[] }[] = [];
  apply(desired: DesiredState, ctx: ApplyContext): Promise<readonly ObjectStatus[]> {
    this.calls.push({ revision: ctx.commit, keys: desired.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`) });
    return Promise.resolve(
      desired.objects.map((o) => ({
        kind: o.kind,
        namespace: o.namespace,
        name: o.name,
        observedCommit: ctx.commit,
        phase: "Ready",
      })),
    );
  }
  get last(): { revision: string; keys: string[] } | undefined {
    return this.calls.at(-1);
  }
}

function configMap(name: string, value: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\ndata:\n  value: "${value}"\n`;
}

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let dir: string;
let statusDir: string;
let loop: LocalDirLoop;
const consumer = new RecordingConsumer();
const outcomes: LocalPassOutcome[] = [];
const lines: string[] = [];

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), text);
}
const status = (path: string): Promise<string> => readFile(join(statusDir, path), "utf8");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-local-"));
  // The status folder sits inside the tree: it must be neither read as fleet files nor watched.
  statusDir = join(dir, "local-status");
  await put("apps/a.yaml", configMap("a", "1"));
  const destination = new Writable({
    write: (chunk: Buffer, _e, cb) => (lines.push(...chunk.toString().split("\n").filter(Boolean)), cb()),
  });
  loop = new LocalDirLoop({
    config: { dir, debounceMs: 150, statusDir, resyncMs: 0 },
    consumer,
    logger: createLogger({ level: "debug", destination }),
    onPass: (o) => outcomes.push(o),
  });
  await loop.start();
  await waitFor(() => consumer.calls.length >= 1, "first pass applied");
});

afterAll(async () => {
  await loop.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("LocalDirLoop on a real working tree", () => {
  it("applies the tree at start and the new state after a change, with status in the status folder", async () => {
    expect(consumer.calls[0]?.keys).toEqual(["ConfigMap/default/a"]);
    expect(consumer.calls[0]?.revision).toMatch(/^local:[0-9a-f]{40}$/);
    await put("apps/b.yaml", configMap("b", "1"));
    await waitFor(() => consumer.last?.keys.includes("ConfigMap/default/b") ?? false, "change applied");
    await loop.idle();
    const revision = consumer.last!.revision;
    expect(revision).not.toBe(consumer.calls[0]?.revision);
    const commit = await status("_commit.yaml");
    expect(commit).toContain("phase: Applied");
    expect(commit).toContain(`appliedCommit: ${revision}`);
    expect(await status("objects/ConfigMap/default/b.yaml")).toContain("phase: Ready");
    expect(await status("STATUS.md")).toContain("ConfigMap/default/b");
  });

  it("does not react to its own status files inside the tree", async () => {
    await loop.idle();
    const passes = loop.state.passes;
    // Generous quiet period: status writes would have triggered a pass (debounce 150 ms) by now.
    await new Promise((r) => setTimeout(r, 1_000));
    await loop.idle();
    expect(loop.state.passes).toBe(passes);
  });

  it("coalesces a burst of changes into few passes", async () => {
    await loop.idle();
    const passes = loop.state.passes;
    for (let i = 0; i < 25; i++) await put(`burst/c${i}.yaml`, configMap(`c${i}`, String(i)));
    await waitFor(() => consumer.last?.keys.length === 27, "all 25 burst files applied");
    await new Promise((r) => setTimeout(r, 500));
    await loop.idle();
    const burstPasses = loop.state.passes - passes;
    expect(burstPasses).toBeGreaterThanOrEqual(1);
    expect(burstPasses).toBeLessThanOrEqual(3);
  });

  it("does not apply an invalid edit; the last good state stays; log and status say why", async () => {
    await loop.idle();
    const good = loop.state.lastGood!.commit;
    const applied = consumer.calls.length;
    await put("apps/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: default\ndata: [unclosed\n");
    await waitFor(() => outcomes.at(-1)?.kind === "invalid", "invalid pass");
    await loop.idle();
    expect(consumer.calls.length).toBe(applied);
    expect(loop.state.lastGood?.commit).toBe(good);
    const commit = await status("_commit.yaml");
    expect(commit).toContain("phase: Invalid");
    expect(commit).toContain(`appliedCommit: ${good}`);
    expect(commit).toMatch(/apps\/a\.yaml:\d+/);
    expect(lines.some((l) => l.includes("is invalid; keeping") && l.includes(good))).toBe(true);
  });

  it("applies the fix", async () => {
    await put("apps/a.yaml", configMap("a", "2"));
    await waitFor(() => outcomes.at(-1)?.kind === "applied", "fixed tree applied");
    await loop.idle();
    expect(consumer.last?.keys).toContain("ConfigMap/default/a");
    expect(loop.state.lastGood?.commit).toBe(consumer.last?.revision);
    expect(await status("_commit.yaml")).toContain("phase: Applied");
  });
});

describe("LocalDirLoop shutdown", () => {
  it("lets a process exit on its own after stop(), even right after a change", async () => {
    const tree = await mkdtemp(join(tmpdir(), "bosun-local-exit-"));
    try {
      await writeFile(join(tree, "a.yaml"), configMap("a", "1"));
      const module = join(dirname(fileURLToPath(import.meta.url)), "local-dir-loop.ts");
      const script = `
        import { writeFile } from "node:fs/promises";
        import { LocalDirLoop } from ${JSON.stringify(module)};
        let applied = 0;
        const loop = new LocalDirLoop({
          config: { dir: ${JSON.stringify(tree)}, debounceMs: 50 },
          consumer: { apply: async () => { applied++; return []; } },
          logger: { info() {}, warn() {}, error() {}, debug() {} },
        });
        await loop.start();
        while (applied < 1) await new Promise((r) => setTimeout(r, 10));
        await writeFile(${JSON.stringify(join(tree, "b.yaml"))}, "apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: b\\n  namespace: default\\n");
        while (applied < 2) await new Promise((r) => setTimeout(r, 10));
        await writeFile(${JSON.stringify(join(tree, "c.yaml"))}, "x: 1\\n");
        await loop.stop();
        console.log("stopped after", applied);
      `;
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string; killed: boolean }>(
        (resolve) => {
          const child = execFile(
            process.execPath,
            ["--import", "tsx", "--input-type=module", "-e", script],
            { timeout: 30_000 },
            (err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr, killed: err?.killed ?? false }),
          );
        },
      );
      expect(result.killed, `process did not exit by itself: ${result.stderr}`).toBe(false);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain("stopped after 2");
    } finally {
      await rm(tree, { recursive: true, force: true });
    }
  });
});
