import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SystemdBackend, parseShow } from "./systemd.ts";
import { fakeRunner, testLaunch } from "./testing.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-systemd-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const l = testLaunch("infra/sw", ["/usr/bin/sw", "--x"]);
const SHOW_RUNNING =
  "LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=4242\nNRestarts=2\nExecMainStatus=0\nExecMainCode=0\nExecMainStartTimestamp=Mon 2025-11-17 10:01:00 UTC\n";

describe("systemd backend (command sequence through a fake systemctl)", () => {
  it("writes the unit, reloads, enables and starts, then reads MainPID", async () => {
    const f = fakeRunner((line) => (line.startsWith("systemctl show") ? { stdout: SHOW_RUNNING } : undefined));
    const b = new SystemdBackend({ unitDir: dir, runner: f.runner });
    await b.prepare(l);
    const obs = await b.start(l);
    expect(f.calls).toEqual([
      "systemctl daemon-reload",
      "systemctl enable bosun-infra_sw.service",
      "systemctl start bosun-infra_sw.service",
      "systemctl show bosun-infra_sw.service -p LoadState,ActiveState,SubState,MainPID,NRestarts,ExecMainStatus,ExecMainCode,ExecMainStartTimestamp",
    ]);
    expect(obs).toEqual({ state: "running", pid: 4242, restarts: 2, startTime: "2025-11-17T10:01:00.000Z" });
    const unit = await readFile(join(dir, "bosun-infra_sw.service"), "utf8");
    expect(unit).toContain("ExecStart=/usr/bin/sw --x");
    expect((await stat(join(dir, "bosun-infra_sw.service"))).mode & 0o777).toBe(0o644);
  });
  it("stops, disables, deletes the unit and reloads on remove", async () => {
    const f = fakeRunner();
    const b = new SystemdBackend({ unitDir: dir, runner: f.runner });
    await b.prepare(l);
    f.calls.length = 0;
    await b.remove(l);
    expect(f.calls).toEqual([
      "systemctl stop bosun-infra_sw.service",
      "systemctl disable bosun-infra_sw.service",
      "systemctl daemon-reload",
    ]);
    await expect(stat(join(dir, "bosun-infra_sw.service"))).rejects.toThrow();
  });
  it("reports exits, kills and unknown units", async () => {
    const answers = [
      "LoadState=loaded\nActiveState=failed\nMainPID=0\nNRestarts=5\nExecMainStatus=3\nExecMainCode=1\n",
      "LoadState=loaded\nActiveState=failed\nMainPID=0\nNRestarts=0\nExecMainStatus=9\nExecMainCode=2\n",
      "LoadState=not-found\nActiveState=inactive\n",
      "LoadState=loaded\nActiveState=inactive\nMainPID=0\nExecMainCode=0\n",
    ];
    let i = 0;
    const b = new SystemdBackend({ unitDir: dir, runner: fakeRunner(() => ({ stdout: answers[i++] ?? "" })).runner });
    expect(await b.observe(l)).toEqual({ state: "exited", restarts: 5, exitCode: 3 });
    expect(await b.observe(l)).toEqual({ state: "exited", restarts: 0, signal: "signal 9" });
    expect(await b.observe(l)).toEqual({ state: "missing" });
    expect((await b.observe(l)).state).toBe("missing");
  });
  it("names the unit and journalctl when systemctl fails", async () => {
    const b = new SystemdBackend({
      unitDir: dir,
      runner: fakeRunner((line) => (line.includes("start") ? { code: 1, stderr: "Job failed" } : undefined)).runner,
    });
    await expect(b.start(l)).rejects.toThrow(
      /DeviceProcess infra\/sw: `systemctl start bosun-infra_sw.service` failed \(exit 1\): Job failed; check `journalctl -u bosun-infra_sw`/,
    );
  });
  it("uses is-active", async () => {
    const b = new SystemdBackend({ unitDir: dir, runner: fakeRunner(() => ({ stdout: "active\n" })).runner });
    expect(await b.isActive(l)).toBe(true);
    expect(parseShow("A=1\nB=x=y\n")).toEqual({ A: "1", B: "x=y" });
  });
});
