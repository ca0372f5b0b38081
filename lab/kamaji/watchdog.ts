/**
 * The lab Kamaji's tenant control planes die with their owner: a small detached process watches the
 * owner's pid and, once it is gone without stopping them (SIGKILL, a crash), stops every process
 * `<workDir>/state.json` records whose command line names the work dir (the tenant kube-apiservers and
 * controller-managers: their flags point into it) and removes the work dir. A clean stop ends it first.
 */
import { spawn } from "node:child_process";

const SCRIPT = `
const { readFileSync, rmSync } = require("node:fs");
const [owner, dir] = [Number(process.argv[1]), process.argv[2]];
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const ours = (pid) => { try { return readFileSync("/proc/" + pid + "/cmdline", "utf8").includes(dir); } catch { return false; } };
const timer = setInterval(() => {
  if (alive(owner)) return;
  clearInterval(timer);
  let pids = [];
  try {
    const s = JSON.parse(readFileSync(dir + "/state.json", "utf8"));
    pids = s.processes.flatMap((p) => [p.controllerManagerPid, p.apiserverPid]).filter((p) => p > 0 && ours(p));
  } catch {}
  for (const p of pids) { try { process.kill(p, "SIGTERM"); } catch {} }
  setTimeout(() => {
    for (const p of pids) { if (ours(p)) { try { process.kill(p, "SIGKILL"); } catch {} } }
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }, 3000);
}, 500);
`;

/** Starts the watchdog; returns its pid (stop it with SIGTERM on a clean stop). */
export function startLabKamajiWatchdog(workDir: string, ownerPid: number = process.pid): number | undefined {
  const child = spawn(process.execPath, ["-e", SCRIPT, String(ownerPid), workDir], { detached: true, stdio: "ignore" });
  child.on("error", () => undefined);
  child.unref();
  return child.pid;
}
