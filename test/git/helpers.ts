/** Shared fixtures of the git integration tests: server + repo, recording consumer, log capture. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../engine/log/logger.ts";
import type { DesiredState } from "../../engine/desired/load-fleet.ts";
import type { GitLoopConfig } from "../../engine/loop/config.ts";
import type { ApplyContext, DesiredStateConsumer } from "../../engine/loop/consumer.ts";
import { ReconcileLoop } from "../../engine/loop/loop.ts";
import type { PassOutcome } from "../../engine/loop/pass.ts";
import type { ObjectStatus } from "../../engine/status/types.ts";
import {
  createBareRepo,
  startGitServer,
  WorkTree,
  type GitServer,
  type GitServerAuth,
} from "../../lab/git-server/index.ts";

export const AUTH: GitServerAuth = { username: "fleet-bot", password: "pw-Zq8vX3-never-log-me" };

export interface Fixture {
  readonly root: string;
  readonly server: GitServer;
  readonly repoUrl: string;
  readonly wt: WorkTree;
  tmp(name: string): Promise<string>;
  dispose(): Promise<void>;
}

export function configMap(name: string, value: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\ndata:\n  value: "${value}"\n`;
}

/** Starts a server with Basic auth, creates `fleet.git` and pushes an initial valid commit to main. */
export async function startFixture(
  initial: Record<string, string> = { "apps/a.yaml": configMap("a", "1") },
): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), "bosun-git-it-"));
  const server = await startGitServer({ root, auth: AUTH });
  await createBareRepo(root, "fleet");
  const repoUrl = `${server.url}/fleet.git`;
  const wt = await WorkTree.open(repoUrl, AUTH);
  await wt.commitAndPush("main", initial, "initial fleet");
  const dirs: string[] = [root];
  return {
    root,
    server,
    repoUrl,
    wt,
    tmp: async (name) => {
      const d = await mkdtemp(join(tmpdir(), `bosun-${name}-`));
      dirs.push(d);
      return d;
    },
    dispose: async () => {
      await server.stop();
      await wt.dispose();
      for (const d of dirs) await rm(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

export interface Applied {
  readonly commit: string;
  readonly keys: readonly string[];
}

/** In-memory consumer: records what it was given, reports every object Ready. */
export class RecordingConsumer implements DesiredStateConsumer {
  readonly calls: Applied[] = [];
  apply(desired: DesiredState, ctx: ApplyContext): Promise<readonly ObjectStatus[]> {
    this.calls.push({ commit: ctx.commit, keys: desired.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`) });
    return Promise.resolve(
      desired.objects.map((o) => ({
        kind: o.kind,
        namespace: o.namespace,
        name: o.name,
        source: `${o.source.file}:${o.source.line}`,
        observedCommit: ctx.commit,
        phase: "Ready",
        conditions: [{ type: "Ready", status: "True" as const, reason: "Applied" }],
        counts: { targets: 1, ready: 1 },
      })),
    );
  }
  get commits(): string[] {
    return this.calls.map((c) => c.commit);
  }
}

/** A logger writing JSON lines into `lines` (tests grep them). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
  return { logger: createLogger({ level: "debug", destination }), lines };
}

/**
 * Polls `predicate` every 25 ms until true; fails with `what` after `timeoutMs` (a hang guard, not a timing
 * assertion).
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The remote status branch as native git sees it (undefined when it does not exist). */
export async function readBranch(
  wt: WorkTree,
  branch: string,
): Promise<{ head: string; files: string[]; count: number; show(path: string): Promise<string> } | undefined> {
  const refs = await wt.run(["ls-remote", "origin", `refs/heads/${branch}`]);
  const head = refs.split("\t")[0]?.trim();
  if (!head) return undefined;
  await wt.run(["fetch", "--quiet", "origin", `+refs/heads/${branch}:refs/remotes/origin/${branch}`]);
  const files = (await wt.run(["ls-tree", "-r", "--name-only", head])).split("\n").filter(Boolean);
  const count = Number((await wt.run(["rev-list", "--count", head])).trim());
  return { head, files, count, show: (path) => wt.run(["show", `${head}:${path}`]) };
}

export interface LoopHarness {
  readonly consumer: RecordingConsumer;
  readonly outcomes: PassOutcome[];
  readonly log: ReturnType<typeof captureLogger>;
  /** Starts the server and repo, then the loop; resolves once the first pass was applied. */
  start(): Promise<{ fx: Fixture; loop: ReconcileLoop }>;
  stop(): Promise<void>;
}

/** A fixture repo with a ReconcileLoop on it, recording what the consumer got and every pass outcome. */
export function loopHarness(config: (fx: Fixture) => Promise<GitLoopConfig>): LoopHarness {
  const consumer = new RecordingConsumer();
  const outcomes: PassOutcome[] = [];
  const log = captureLogger();
  let running: { fx: Fixture; loop: ReconcileLoop } | undefined;
  return {
    consumer,
    outcomes,
    log,
    async start() {
      const fx = await startFixture();
      const loop = new ReconcileLoop({
        config: await config(fx),
        consumer,
        logger: log.logger,
        onPass: (o) => outcomes.push(o),
      });
      running = { fx, loop };
      await loop.start();
      await waitFor(() => consumer.calls.length >= 1, "first pass applied");
      return running;
    },
    async stop() {
      await running?.loop.stop();
      await running?.fx.dispose();
    },
  };
}
