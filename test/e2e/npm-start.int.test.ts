/**
 * `npm start` end to end: the lab starts its own kube-apiserver, git server and simulator and runs
 * the engine as its own child process. The example fleet rolls out with honest progress; the
 * engine is SIGKILLed mid-rollout, the lab stays up and the restarted engine resumes; Ctrl-C leaves
 * no process behind; a second `npm start` reuses the lab and keeps the user's commits; `--fresh`
 * recreates it after saying so.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { pidAlive, processesMentioning } from "../support/daemons.ts";
import { waitFor } from "./support.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");
const SMALL = ["--switches", "24", "--socs", "12", "--dpus", "8", "--bmcs", "4"];

interface Lab {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly exited: Promise<number | null>;
}

const labs: Lab[] = [];
let labDir: string | undefined;

function startLab(args: string[]): Lab {
  const child = spawn(process.execPath, ["--import", "tsx", "lab/demo/start.ts", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lab = { child, out: () => out, exited };
  labs.push(lab);
  return lab;
}

/** Waits for `pattern` in the lab's output after `from` (an offset into it). */
function waitOut(lab: Lab, what: string, pattern: RegExp, from = 0, timeoutMs = 240_000): Promise<RegExpExecArray> {
  return waitFor(
    what,
    async () => pattern.exec(lab.out().slice(from)) ?? undefined,
    timeoutMs,
    250,
    async () => lab.out().slice(-3000),
  );
}

/** What the lab recorded it started (lab.json): its pid, the kube processes, every engine pid. */
interface LabRecord {
  pid: number;
  watchdogPid?: number;
  kubePids?: number[];
  enginePids: number[];
}

function labRecord(dir: string): LabRecord {
  return JSON.parse(readFileSync(join(dir, "lab.json"), "utf8")) as LabRecord;
}

function pidsOf(record: LabRecord): number[] {
  return [
    record.pid,
    ...(record.watchdogPid ? [record.watchdogPid] : []),
    ...(record.kubePids ?? []),
    ...record.enginePids,
  ];
}

/** Ctrl-C: SIGINT to the lab; exit 0; then nothing it started may still run. */
async function ctrlC(lab: Lab, dir: string): Promise<void> {
  const record = labRecord(dir);
  lab.child.kill("SIGINT");
  expect(await lab.exited).toBe(0);
  expect(lab.out()).toContain("[lab] stopping");
  const left = pidsOf(record).filter(pidAlive);
  expect(left, "processes of the lab still running").toEqual([]);
  expect(processesMentioning(dir), "processes mentioning the lab folder").toEqual([]);
}

const git = async (args: string[]): Promise<string> => (await run("git", args)).stdout;

afterAll(async () => {
  for (const lab of labs) if (lab.child.exitCode === null && lab.child.signalCode === null) lab.child.kill("SIGKILL");
  await Promise.all(labs.map((l) => l.exited));
  if (labDir) await rm(labDir, { recursive: true, force: true });
});

it("npm start: honest progress, survives an engine crash, stops clean, keeps the user's lab", async () => {
  labDir = await mkdtemp(join(tmpdir(), "bosun-lab-"));
  const dir = labDir;
  const clone = join(dir, "fleet");
  const lab = startLab([...SMALL, "--lab-dir", dir]);
  await waitOut(lab, "the fleet fully rolled out", /fully rolled out/);

  // Progress is honest: a rollout is Complete only once every device runs the revision and reports ready.
  const completes = [...lab.out().matchAll(/(\S+): Complete rev \w+ · ready (\d+)\/(\d+) · updated (\d+)/g)];
  for (const name of ["switch-agent", "dpu-firmware", "soc-telemetry"])
    expect(completes.some((m) => m[1] === name)).toBe(true);
  for (const m of completes) {
    expect(Number(m[3]), m[0]).toBeGreaterThan(0);
    expect([m[2], m[4]], m[0]).toEqual([m[3], m[3]]);
  }
  expect(lab.out()).toMatch(/status commit [0-9a-f]{12} on bosun\/status/);
  const metrics = (await waitOut(lab, "the metrics URL", /metrics:\s+(http:\/\/127\.0\.0\.1:\d+)\/metrics/))[1];
  expect((await fetch(`${metrics}/healthz`)).status).toBe(200);
  expect((await fetch(`${metrics}/readyz`)).status).toBe(200);
  const text = await (await fetch(`${metrics}/metrics`)).text();
  expect(text).toMatch(/bosun_objects\{kind="DeviceProcessDeployment",phase="Ready"\} 3/);
  const labels = 'kind="DeviceProcessDeployment",namespace="infra-system",name="switch-agent"';
  const desired = new RegExp(`bosun_rollout_desired\\{${labels}\\} (\\d+)`).exec(text)?.[1];
  expect(Number(desired)).toBeGreaterThan(0);
  expect(text).toContain(`bosun_rollout_updated{${labels}} ${desired}`);
  expect(text).toContain(`bosun_rollout_phase{${labels},phase="Ready"} 1`);
  const kubeconfig = (await waitOut(lab, "the kubeconfig", /kubeconfig (\S+), lab folder/))[1]!;

  // The user's release: v1.2.4 from the clone; the canary rolls, the fleet wave waits for approval.
  const before = lab.out().length;
  const file = join(clone, "devices/switch-agent.yaml");
  await run("sed", ["-i", "s/v1.2.3/v1.2.4/g", file]);
  await git(["-C", clone, "commit", "-qam", "switch-agent v1.2.4"]);
  await git(["-C", clone, "push", "-q", "origin", "HEAD:main"]);
  const rev = (
    await waitOut(lab, "the v1.2.4 rollout", /switch-agent: (?:Progressing|WaitingForApproval) rev (\w+)/, before)
  )[1];

  // SIGKILL the engine: the lab stays up and restarts it; the new engine resumes the rollout.
  const engines = labRecord(dir).enginePids;
  const killed = engines.at(-1)!;
  process.kill(killed, "SIGKILL");
  const afterKill = lab.out().length;
  await waitOut(lab, "the lab noticing", /the engine was killed \(SIGKILL\); the lab keeps running/, afterKill);
  const restarted = Number((await waitOut(lab, "a new engine", /engine up \(pid (\d+)\)/, afterKill))[1]);
  expect(restarted).not.toBe(killed);
  expect(lab.child.exitCode).toBeNull();
  expect(await git(["-C", clone, "ls-remote", "origin", "main"])).toMatch(/^[0-9a-f]{40}\s+refs\/heads\/main/);
  const { stdout: dpds } = await run("kubectl", ["--kubeconfig", kubeconfig, "get", "dpd", "-n", "infra-system"]);
  expect(dpds).toContain("switch-agent");
  await waitOut(
    lab,
    "the restarted engine waiting for the fleet wave",
    new RegExp(`switch-agent: WaitingForApproval rev ${rev}`),
    afterKill,
  );

  // Approve as the clone's git identity, push; the rollout completes.
  const { stdout: approved } = await run(
    process.execPath,
    [
      join(root, "bin/bosun.mjs"),
      "approve",
      "DeviceProcessDeployment/switch-agent",
      "--wave",
      "fleet",
      "--repo",
      clone,
      "--commit",
    ],
    { cwd: root },
  );
  expect(approved).toContain("approved by Lab Operator <operator@lab.invalid>");
  expect(await git(["-C", clone, "log", "-1", "--format=%an <%ae>|%cn <%ce>"])).toBe(
    "Lab Operator <operator@lab.invalid>|Lab Operator <operator@lab.invalid>\n",
  );
  await git(["-C", clone, "push", "-q", "origin", "HEAD:main"]);
  const afterApprove = lab.out().length;
  await waitOut(lab, "v1.2.4 fully rolled out", /fully rolled out/, afterApprove);
  expect(lab.out().slice(afterApprove)).toMatch(
    new RegExp(`switch-agent: Complete rev ${rev} · ready ${desired}/${desired} · updated ${desired}`),
  );
  await ctrlC(lab, dir);

  // A second npm start reuses the lab: the fleet repo and the clone with the user's commits.
  const second = startLab([...SMALL, "--lab-dir", dir]);
  await waitOut(
    second,
    "the reuse notice",
    /reusing the lab in .*your clone .* are kept; npm start -- --fresh starts over/,
  );
  await waitOut(second, "the engine up again", /engine up \(pid \d+\)/);
  await waitOut(second, "a status commit from the kept repo", /status commit [0-9a-f]{12} on bosun\/status/);
  const log = await git(["-C", clone, "log", "--format=%s", "origin/main"]);
  expect(log).toContain("switch-agent v1.2.4");
  expect(log).toContain("Approve wave fleet of infra-system/switch-agent");
  expect(await readFile(file, "utf8")).toContain("v1.2.4");
  await ctrlC(second, dir);

  // --fresh says what it deletes, then starts from fleet-repo-example again.
  const fresh = startLab([...SMALL, "--lab-dir", dir, "--fresh"]);
  await waitOut(
    fresh,
    "the --fresh notice",
    /--fresh: deleting .* \(the lab's fleet repo and the clone .*, with any commits made there\)/,
  );
  await waitOut(fresh, "a new example fleet", /3\/5 git server with fleet-repo-example/);
  await waitOut(fresh, "the engine up", /engine up \(pid \d+\)/);
  expect(await git(["-C", clone, "log", "--format=%s"])).not.toContain("switch-agent v1.2.4");

  // The lab's children die with the lab, even when the lab itself is SIGKILLed (no Ctrl-C).
  const record = labRecord(dir);
  expect(record.kubePids?.length).toBe(3);
  fresh.child.kill("SIGKILL");
  await fresh.exited;
  await waitFor(
    "every process of the SIGKILLed lab gone",
    async () => pidsOf(record).filter(pidAlive).length === 0 && processesMentioning(dir).length === 0,
    60_000,
    250,
    async () => JSON.stringify({ alive: pidsOf(record).filter(pidAlive), mentioning: processesMentioning(dir) }),
  );
}, 600_000);

it("a second npm start on a lab folder whose lab still runs refuses, naming the running lab", async () => {
  const dir = await mkdtemp(join(tmpdir(), "bosun-lab-busy-"));
  // Stands in for a running lab: a live process whose command line names lab/demo/start.
  const running = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "lab/demo/start.ts"], {
    stdio: "ignore",
  });
  try {
    await writeFile(join(dir, "lab.json"), JSON.stringify({ pid: running.pid, enginePids: [] }));
    const lab = startLab(["--lab-dir", dir]);
    expect(await lab.exited).toBe(1);
    expect(lab.out()).toContain(
      `a lab is already running from ${dir} (pid ${running.pid}); stop it (Ctrl-C in its terminal, or kill ${running.pid})`,
    );
    expect(JSON.parse(await readFile(join(dir, "lab.json"), "utf8"))).toEqual({ pid: running.pid, enginePids: [] });
  } finally {
    running.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
});
