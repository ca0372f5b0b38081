/**
 * Git benchmarks, each next to native git doing the same work in the same run:
 *  1. fetch + read all fleet files of a 5,000-file repo (fresh mirror each run) [+ loadFleet]
 *  2. an unchanged poll (ref advertisement, no pack)
 *  3. a status commit + push (one object's status changed in a 5,000-object status tree)
 * Medians over RUNS runs. Fresh directories per run; deletes happen after timing (ext4 discard).
 * Run: npm run bench:git   → writes bench/results/git.md
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { loadFleet } from "../engine/desired/load-fleet.ts";
import { GitMirror } from "../engine/git/mirror.ts";
import { FleetTreeReader } from "../engine/git/read-files.ts";
import { renderStatusFiles } from "../engine/status/documents.ts";
import type { ObjectStatus } from "../engine/status/types.ts";
import { StatusWriter } from "../engine/status/writer.ts";
import { createBareRepo, git, pushDirectory, startGitServer, WorkTree } from "../lab/git-server/index.ts";

const RUNS = Number(process.env["BENCH_RUNS"] ?? 5);
const FILES = 5_000;
const auth = { username: "bench", password: "bench-pass" };
const trash: string[] = [];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function fresh(name: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `bosun-bench-${name}-`));
  trash.push(d);
  return d;
}
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const root = await fresh("root");
  const server = await startGitServer({ root, auth });
  await createBareRepo(root, "fleet");
  const url = `${server.url}/fleet.git`;
  const src = await fresh("src");
  for (let i = 0; i < FILES; i++) {
    const dir = join(src, `site-${String(i % 50).padStart(2, "0")}`);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, `cm-${i}.yaml`),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: site-${i % 50}\n  labels:\n    site: s${i % 50}\ndata:\n  index: "${i}"\n  payload: "${"x".repeat(200)}"\n`,
    );
  }
  await pushDirectory(src, url, { auth, message: "5000 files" });
  const results: Record<string, { ours: number[]; native: number[] }> = {};
  const rec = (k: string, side: "ours" | "native", ms: number) =>
    (results[k] ??= { ours: [], native: [] })[side].push(ms);
  const loadMs: number[] = [];
  const renderMs: number[] = [];

  for (let run = 0; run < RUNS; run++) {
    // 1. cold fetch + read every fleet file
    const m = await fresh("ig");
    await pause(300);
    let files: readonly { path: string }[] = [];
    let mirror!: GitMirror;
    rec(
      "fetch+read 5,000 files (cold, depth 1)",
      "ours",
      await time(async () => {
        mirror = await GitMirror.open({ gitdir: m, url, credentials: auth });
        const rev = await mirror.fetchRevision("main");
        files = await new FleetTreeReader(mirror.gitdir, mirror.cache).read(rev.commit);
      }),
    );
    if (files.length !== FILES) throw new Error(`read ${files.length} files`);
    loadMs.push(
      await time(async () => {
        const r = loadFleet(files as never);
        if (!r.ok) throw new Error("fleet invalid");
      }),
    );
    const n = await fresh("native");
    await pause(300);
    rec(
      "fetch+read 5,000 files (cold, depth 1)",
      "native",
      await time(async () => {
        await git(["clone", "--quiet", "--bare", "--depth", "1", "--single-branch", "--branch", "main", url, n], {
          auth,
        });
        execFileSync("git", ["--git-dir", n, "cat-file", "--batch-all-objects", "--batch"], { maxBuffer: 1 << 28 });
      }),
    );
    // 2. unchanged poll
    rec("unchanged poll (no new commit)", "ours", await time(() => mirror.fetchRevision("main")));
    rec(
      "unchanged poll (no new commit)",
      "native",
      await time(() => git(["--git-dir", n, "fetch", "--quiet", "--depth", "1", url, "main"], { auth })),
    );
  }

  // 3. status commit + push: 5,000 object files exist; each run changes one object's status.
  const sm = await fresh("status-mirror");
  const mirror = await GitMirror.open({ gitdir: sm, url, credentials: auth });
  const writer = new StatusWriter({ mirror });
  const objects: ObjectStatus[] = Array.from({ length: FILES }, (_, i) => ({
    kind: "ConfigMap",
    namespace: `site-${i % 50}`,
    name: `cm-${i}`,
    observedCommit: "0".repeat(40),
    phase: "Ready",
  }));
  const snap = (round: number) =>
    renderStatusFiles({
      commit: { repo: url, ref: "main", phase: "Applied", observedCommit: "0".repeat(40) },
      objects: objects.map((o, i) => (i === 0 ? { ...o, phase: `Ready-${round}` } : o)),
    });
  await writer.write({ branch: "bosun/status", prefix: "" }, snap(-1), "initial status");
  const wt = await WorkTree.open(url, auth);
  trash.push(wt.dir);
  await wt.checkout("bosun/status");
  for (let run = 0; run < RUNS; run++) {
    let files!: ReturnType<typeof snap>;
    renderMs.push(await time(async () => (files = snap(run))));
    await pause(300);
    rec(
      "status commit + push (1 of 5,000 files changed)",
      "ours",
      await time(() => writer.write({ branch: "bosun/status", prefix: "" }, files, `status ${run}`)),
    );
    await pause(300);
    rec(
      "status commit + push (1 of 5,000 files changed)",
      "native",
      await time(async () => {
        await wt.run(["pull", "--quiet", "--ff-only", "origin", "bosun/status"]);
        await wt.write({ "objects/ConfigMap/site-1/cm-1.yaml": `native ${run}\n` });
        await wt.commit(`native ${run}`);
        await wt.push("bosun/status");
      }),
    );
  }
  await server.stop();

  const cpu = cpus()[0]?.model ?? "unknown";
  const lines = [
    "# Git benchmarks (bench/git-bench.ts)",
    "",
    `Machine: ${cpu}, ${cpus().length} cores, Node ${process.version}, ${execFileSync("git", ["--version"]).toString().trim()}. ${RUNS} runs, medians, ms. Server: lab/git-server (git http-backend behind Node) on loopback with Basic auth. Fresh directories per run, deleted after all timing.`,
    "",
    "| work | Bosun (isomorphic-git) | native git | ratio |",
    "|---|---:|---:|---:|",
  ];
  for (const [k, v] of Object.entries(results)) {
    const o = median(v.ours);
    const nat = median(v.native);
    lines.push(`| ${k} | ${o.toFixed(0)} | ${nat.toFixed(0)} | ${(o / nat).toFixed(1)}× |`);
  }
  lines.push(
    "",
    `loadFleet of the 5,000 files (pure, after the read): median ${median(loadMs).toFixed(0)} ms. Rendering 5,000 status files (pure, before the write): median ${median(renderMs).toFixed(0)} ms.`,
    "",
    "Notes: native fetch+read = `git clone --bare --depth 1 --single-branch` + `git cat-file --batch-all-objects --batch`. Bosun's = GitMirror.fetchRevision (ref advertisement + shallow fetch into a bare mirror) + FleetTreeReader.read (tree walk + readBlob of every file).",
    "Bosun's status write includes its fetch of the status branch before building the tree (fetch-rebuild), like the native `git pull --ff-only` + commit + push.",
    "",
    "Raw runs (ms):",
    "",
    ...Object.entries(results).map(
      ([k, v]) =>
        `- ${k}: ours ${v.ours.map((x) => x.toFixed(0)).join(", ")}; native ${v.native.map((x) => x.toFixed(0)).join(", ")}`,
    ),
    `- loadFleet: ${loadMs.map((x) => x.toFixed(0)).join(", ")}`,
    "",
  );
  await writeFile(join(import.meta.dirname, "results", "git.md"), lines.join("\n"));
  console.log(lines.join("\n"));
}

try {
  await main();
} finally {
  for (const d of trash) await rm(d, { recursive: true, force: true });
}
