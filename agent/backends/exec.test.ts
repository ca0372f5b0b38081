import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExecBackend } from "./exec.ts";
import { isSameLiveProcess, readProcStat, sleep } from "./proc.ts";
import { testLaunch } from "./testing.ts";

let dir: string;
const started: number[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-exec-"));
});
afterEach(async () => {
  for (const pid of started.splice(0))
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* gone */
    }
  await rm(dir, { recursive: true, force: true });
});

async function until(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(25);
  }
}

describe("exec backend (real processes)", () => {
  it("starts detached in its own process group and records pid and start time", async () => {
    const b = new ExecBackend({ stateDir: dir });
    const l = testLaunch(
      "ns/sleeper",
      ["/bin/sh", "-c", "echo hello $GREETING; exec sleep 30"],
      {},
      { env: { GREETING: "world" } },
    );
    const obs = await b.start(l);
    started.push(obs.pid ?? 0);
    expect(obs.state).toBe("running");
    const info = await readProcStat(obs.pid ?? 0);
    expect(info?.pgrp).toBe(obs.pid); // leads its own group
    const rec = JSON.parse(await readFile(join(dir, "exec", `${l.unitName}.json`), "utf8")) as {
      pid: number;
      startTicks: string;
    };
    expect(rec.pid).toBe(obs.pid);
    expect(rec.startTicks).toBe(info?.startTicks);
    await until(async () => (await readFile(join(dir, "logs", `${l.unitName}.log`), "utf8")).includes("hello world"));
  });

  it("does not start a duplicate and a new agent instance re-adopts the same process", async () => {
    const l = testLaunch("ns/adopt", ["/bin/sleep", "30"]);
    const first = await new ExecBackend({ stateDir: dir }).start(l);
    started.push(first.pid ?? 0);
    const again = await new ExecBackend({ stateDir: dir }).start(l);
    expect(again.pid).toBe(first.pid);
    expect(await new ExecBackend({ stateDir: dir }).observe(l)).toMatchObject({ state: "running", pid: first.pid });
  });

  it("refuses to adopt a reused pid (start time differs)", async () => {
    const l = testLaunch("ns/reused", ["/bin/sleep", "30"]);
    const obs = await new ExecBackend({ stateDir: dir }).start(l);
    started.push(obs.pid ?? 0);
    const path = join(dir, "exec", `${l.unitName}.json`);
    const rec = JSON.parse(await readFile(path, "utf8")) as { startTicks: string };
    await writeFile(path, JSON.stringify({ ...rec, pid: obs.pid, startTicks: "1" }));
    expect((await new ExecBackend({ stateDir: dir }).observe(l)).state).toBe("exited");
  });

  it("reports exit codes of its children", async () => {
    const b = new ExecBackend({ stateDir: dir });
    const l = testLaunch("ns/fails", ["/bin/sh", "-c", "exit 7"]);
    await b.start(l);
    await until(async () => (await b.observe(l)).state === "exited");
    expect(await b.observe(l)).toMatchObject({ state: "exited", exitCode: 7 });
  });

  it("stops gracefully with SIGTERM, and with SIGKILL after the timeout", async () => {
    const b = new ExecBackend({ stateDir: dir });
    const polite = testLaunch("ns/polite", ["/bin/sleep", "30"]);
    const p = await b.start(polite);
    started.push(p.pid ?? 0);
    await b.stop(polite);
    expect(await b.observe(polite)).toMatchObject({ state: "exited", signal: "SIGTERM" });
    const stubborn = testLaunch(
      "ns/stubborn",
      ["/bin/sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"],
      {},
      { stopTimeoutSec: 1 },
    );
    const s = await b.start(stubborn);
    started.push(s.pid ?? 0);
    await sleep(200);
    await b.stop(stubborn);
    expect(await isSameLiveProcess(s.pid ?? 0)).toBe(false);
    expect(await b.observe(stubborn)).toMatchObject({ state: "exited", signal: "SIGKILL" });
  });

  it("fails clearly when the command does not exist", async () => {
    const b = new ExecBackend({ stateDir: dir });
    await expect(b.start(testLaunch("ns/missing", ["/nonexistent/bin"]))).rejects.toThrow(
      /DeviceProcess ns\/missing: cannot start \/nonexistent\/bin/,
    );
  });

  it("runs exec health probes with the process environment and a timeout", async () => {
    const b = new ExecBackend({ stateDir: dir });
    const l = testLaunch("ns/probe", ["/bin/true"], {}, { env: { OK: "yes" } });
    expect(await b.execProbe(l, ["/bin/sh", "-c", 'test "$OK" = yes'], 2000)).toBe(true);
    expect(await b.execProbe(l, ["/bin/false"], 2000)).toBe(false);
    expect(await b.execProbe(l, ["/bin/sleep", "5"], 200)).toBe(false);
  });
});
