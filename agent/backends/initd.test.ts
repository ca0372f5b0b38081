import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InitdBackend, signalName } from "./initd.ts";
import { isSameLiveProcess, sleep } from "./proc.ts";
import { testLaunch } from "./testing.ts";

let dir: string;
let backend: InitdBackend;
const launches: ReturnType<typeof testLaunch>[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-initd-"));
  backend = new InitdBackend({ initDir: join(dir, "init.d"), stateDir: dir });
});
afterEach(async () => {
  for (const l of launches.splice(0)) await backend.remove(l).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function until(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(25);
  }
}

describe("initd backend (the generated LSB script, run for real)", () => {
  it("installs an executable script whose start/status/stop really run the process", async () => {
    const l = testLaunch(
      "ns/svc",
      ["/bin/sh", "-c", 'echo "started with $MODE"; exec sleep 30'],
      {},
      { env: { MODE: "test" } },
    );
    launches.push(l);
    await backend.prepare(l);
    const script = backend.scriptPath(l);
    expect((await stat(script)).mode & 0o111).not.toBe(0);
    const obs = await backend.start(l);
    expect(obs.state).toBe("running");
    const pid = obs.pid ?? 0;
    expect(await isSameLiveProcess(pid)).toBe(true);
    expect(execFileSync(script, ["status"]).toString()).toContain(`is running (pid ${pid})`);
    expect(execFileSync(script, ["start"]).toString()).toContain("already running");
    const paths = backend.paths(l);
    expect(Number(await readFile(paths.pidFile, "utf8"))).toBe(pid);
    await until(async () => (await readFile(paths.logFile, "utf8")).includes("started with test"));
    await backend.stop(l);
    expect(await isSameLiveProcess(pid)).toBe(false);
    let code = 0;
    try {
      execFileSync(script, ["status"]);
    } catch (e) {
      code = (e as { status: number }).status;
    }
    expect(code).toBe(3);
  });

  it("records the exit code, so a crash is told apart from a clean exit", async () => {
    const l = testLaunch("ns/crash", ["/bin/sh", "-c", "sleep 0.2; exit 5"]);
    launches.push(l);
    await backend.prepare(l);
    await backend.start(l);
    await until(async () => (await backend.observe(l)).state === "exited");
    expect(await backend.observe(l)).toMatchObject({ state: "exited", exitCode: 5 });
  });

  it("restart gives a new pid; stop escalates to SIGKILL after STOP_TIMEOUT", async () => {
    const l = testLaunch(
      "ns/stubborn",
      ["/bin/sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"],
      {},
      { stopTimeoutSec: 1 },
    );
    launches.push(l);
    await backend.prepare(l);
    const first = await backend.start(l);
    execFileSync(backend.scriptPath(l), ["restart"]);
    const second = await backend.observe(l);
    expect(second.state).toBe("running");
    expect(second.pid).not.toBe(first.pid);
    expect(await isSameLiveProcess(first.pid ?? 0)).toBe(false);
    await backend.stop(l);
    expect(await isSameLiveProcess(second.pid ?? 0)).toBe(false);
  });

  it("maps wrapper exit codes above 128 to signals", () => {
    expect(signalName(143)).toBe("SIGTERM");
    expect(signalName(137)).toBe("SIGKILL");
    expect(signalName(1)).toBeUndefined();
  });
});
