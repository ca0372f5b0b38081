/**
 * `npm start` (the main job) end to end: the lab starts its own kube-apiserver, git server and
 * simulator, the engine rolls the whole example fleet out, keeps serving, and stops cleanly.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { waitFor } from "./support.ts";

const root = join(import.meta.dirname, "../..");

it("npm start reaches a fully rolled-out example fleet, keeps serving, and stops on SIGINT", async () => {
  const labDir = await mkdtemp(join(tmpdir(), "bosun-lab-"));
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "lab/demo/start.ts",
      "--switches",
      "24",
      "--socs",
      "12",
      "--dpus",
      "8",
      "--bmcs",
      "4",
      "--lab-dir",
      labDir,
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    await waitFor(
      "the fleet fully rolled out",
      async () => out.includes("fully rolled out"),
      240_000,
      500,
      async () => out.slice(-3000),
    );
    for (const name of ["switch-agent", "dpu-firmware", "soc-telemetry"])
      expect(out).toMatch(new RegExp(`${name}: Complete rev \\w+ · ready (\\d+)/\\1`));
    expect(out).toMatch(/status commit [0-9a-f]{12} on bosun\/status/);
    const metrics = /metrics:\s+(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(out)?.[1];
    expect(metrics).toBeDefined();
    // Still serving after the rollout: health, readiness and metrics answer.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await fetch(`${metrics}/healthz`)).status).toBe(200);
    expect((await fetch(`${metrics}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${metrics}/metrics`)).text();
    expect(text).toMatch(/bosun_objects\{kind="DeviceProcessDeployment",phase="Ready"\} 3/);
    expect(text).toContain("bosun_pass_duration_seconds_bucket");
    expect(child.exitCode).toBeNull();
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(out).toContain("[lab] stopping");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await rm(labDir, { recursive: true, force: true });
  }
}, 300_000);
