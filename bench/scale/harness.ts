/**
 * The engine as the benchmarks drive it: the real git path (lab git server, GitMirror,
 * FleetTreeReader, loadFleet), the real reconciler, and the in-memory backend in place of the
 * cluster (sinks/memory, registered as `kubernetes`) fed from LIST pages through the same compact
 * conversion the live cache uses (sources/kubernetes/live-records.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DesiredState } from "../../engine/desired/load-fleet.ts";
import { loadFleet } from "../../engine/desired/load-fleet.ts";
import { GitMirror } from "../../engine/git/mirror.ts";
import { FleetTreeReader } from "../../engine/git/read-files.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { FleetReconciler, type PassReport } from "../../engine/reconcile/fleet-reconciler.ts";
import { dependenciesOf } from "../../engine/desired/dependencies.ts";
import { builtinKinds } from "../../engine/kinds/builtin.ts";
import { memoryBackend, type MemoryBackend } from "../../sinks/memory/index.ts";
import type { ObjectStatus } from "../../engine/status/types.ts";
import { createBareRepo, pushDirectory, startGitServer, type GitServer } from "../../lab/git-server/index.ts";
import { ingest } from "../../sources/kubernetes/live-records.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { livePages, loadFixture, revisionsOf, writeFleet } from "./fixtures.ts";

export const auth = { username: "bench", password: "bench-pass" };

export interface Harness {
  readonly server: GitServer;
  readonly url: string;
  readonly dirs: string[];
  mirror: GitMirror;
  reader: FleetTreeReader;
  backend: MemoryBackend;
  reconciler: FleetReconciler;
  /**
   * The last pass report only: keeping every report (about 36 KiB each with 100 deployments) was the bench's own
   * growth over 1,000 polls.
   */
  reports: PassReport[];
  desired?: DesiredState;
  commit?: string;
  fetchRetries: number;
}

export function tmp(dirs: string[], name: string): string {
  const d = mkdtempSync(join(tmpdir(), `bosun-scale-${name}-`));
  dirs.push(d);
  return d;
}

/** A lab git server with the fleet repo running in another process (the poll scenario: its CPU is not ours). */
export interface RemoteGitServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Git server with the fleet repo at `version` (or `remote`, already serving it); an empty engine. */
export async function setup(version: string, incremental = true, remote?: RemoteGitServer): Promise<Harness> {
  const dirs: string[] = [];
  let server: GitServer;
  let url: string;
  if (remote) {
    url = remote.url;
    server = { url, port: 0, root: "", requests: 0, stop: () => remote.stop(), start: () => Promise.resolve() };
  } else {
    const root = tmp(dirs, "git");
    server = await startGitServer({ root, auth });
    await createBareRepo(root, "fleet");
    url = `${server.url}/fleet.git`;
    const src = tmp(dirs, "src");
    writeFleet(src, version);
    await pushDirectory(src, url, { auth, message: `fleet ${version}` });
  }
  const backend = memoryBackend({ name: "kubernetes" });
  const reports: PassReport[] = [];
  const mirror = await GitMirror.open({ gitdir: tmp(dirs, "mirror"), url, credentials: auth });
  const h: Harness = {
    server,
    url,
    dirs,
    mirror,
    reader: new FleetTreeReader(mirror.gitdir, mirror.cache),
    backend,
    reports,
    fetchRetries: 0,
    reconciler: new FleetReconciler({
      backends: [backend.backend],
      kinds: builtinKinds,
      dependenciesOf,
      logger: createLogger({ level: "silent" }),
      incremental,
      onPass: (r) => reports.splice(0, reports.length, r),
    }),
  };
  return h;
}

export async function teardown(h: Harness): Promise<void> {
  await h.server.stop();
  for (const d of h.dirs) rmSync(d, { recursive: true, force: true });
}

/** Pushes a new fleet version (native git, not timed by callers). */
export async function pushVersion(h: Harness, version: string): Promise<void> {
  const src = tmp(h.dirs, "src");
  writeFleet(src, version);
  await pushDirectory(src, h.url, { auth, message: `fleet ${version}` });
}

/** Fetch + read + load; reuses the desired state when the commit is unchanged (as the loop does). */
export async function fetchLoad(h: Harness): Promise<DesiredState> {
  let rev: Awaited<ReturnType<GitMirror["fetchRevision"]>> | undefined;
  // The loop retries a failed fetch with backoff; so does the bench (the lab server spawns git per request).
  for (let attempt = 0; rev === undefined; attempt++) {
    try {
      rev = await h.mirror.fetchRevision("main");
    } catch (error) {
      if (attempt >= 3) throw error;
      h.fetchRetries++;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
  if (h.commit === rev.commit && h.desired) return h.desired;
  const loaded = loadFleet(await h.reader.read(rev.commit));
  if (!loaded.ok) throw new Error("fleet invalid");
  h.commit = rev.commit;
  h.desired = loaded;
  return loaded;
}

/**
 * Folds LIST pages of `n` devices (live processes at `liveVersion`'s revisions) into the backend; returns ms spent
 * parsing + folding.
 */
export function ingestLive(h: Harness, n: number, liveVersion: string, renewTime = new Date().toISOString()): number {
  const liveDesired = loadFixture(liveVersion);
  let ms = 0;
  for (const text of livePages(n, liveDesired, revisionsOf(liveDesired), renewTime)) {
    const t = performance.now();
    const page = JSON.parse(text) as { items: KubeObject[] };
    for (const item of page.items) ingest(h.backend.store, "ADDED", item);
    ms += performance.now() - t;
  }
  return ms;
}

/** Parsing alone (the baseline): JSON.parse of every LIST page, nothing kept. */
export function parseLiveOnly(n: number, liveVersion: string): number {
  const liveDesired = loadFixture(liveVersion);
  let ms = 0;
  let items = 0;
  for (const text of livePages(n, liveDesired, revisionsOf(liveDesired), new Date().toISOString())) {
    const t = performance.now();
    items += (JSON.parse(text) as { items: unknown[] }).items.length;
    ms += performance.now() - t;
  }
  if (items === 0) throw new Error("no items");
  return ms;
}

export async function reconcile(h: Harness, desired: DesiredState): Promise<readonly ObjectStatus[]> {
  return h.reconciler.apply(desired, { commit: h.commit ?? "bench", signal: new AbortController().signal });
}

/** Agents report every process on its new spec healthy. */
export function agentsReady(h: Harness): number {
  return h.backend.agentsReport(() => ({ phase: "Running", healthy: true, reason: undefined }));
}

export function rssMiB(): number {
  return Math.round((process.memoryUsage.rss() / 2 ** 20) * 10) / 10;
}

export function peakRssMiB(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
