/** exec and initd backends end to end against the lab kube-apiserver, with real processes. */
import { access, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { killAll } from "./testing/harness.ts";
import { runBackendScenario, type BackendAdapter } from "./testing/scenario.ts";

const script = (v: string): Buffer =>
  Buffer.from(`#!/bin/sh
echo "app ${v} started $$"
trap 'echo "app ${v} got TERM"; exit 0' TERM
while true; do sleep 0.2; done
`);

function hostAdapter(backend: "exec" | "initd"): BackendAdapter {
  return {
    backend,
    artifact: (v) => Promise.resolve(script(v)),
    command: (marker) => ({ command: ["/bin/sh", "$(BOSUN_ARTIFACT)"], args: [marker] }),
    healthCommand: ({ dir, name }) => ["/bin/sh", "-c", `test ! -e ${join(dir, `unhealthy-${name}`)}`],
    makeUnhealthy: ({ dir, name }) => writeFile(join(dir, `unhealthy-${name}`), ""),
    makeHealthy: ({ dir, name }) => rm(join(dir, `unhealthy-${name}`), { force: true }),
    agentArgs: (dir) => ["--initd-dir", join(dir, "init.d")],
    output: ({ dir, ns, name }) =>
      readFile(join(dir, "state", backend === "exec" ? "logs" : "initd", `bosun-${ns}_${name}.log`), "utf8"),
    extraChecksAfterDeploy: async ({ dir, ns, name }) => {
      if (backend !== "initd") return;
      const scriptPath = join(dir, "init.d", `bosun-${ns}_${name}`);
      const text = await readFile(scriptPath, "utf8");
      expect(text).toContain("### BEGIN INIT INFO");
      expect(text).toContain(`# Provides:          bosun-${ns}_${name}`);
      await access(scriptPath);
    },
    cleanup: ({ marker }) => killAll(marker),
  };
}

describe("exec backend against the real kube-apiserver", () => runBackendScenario(hostAdapter("exec")));
describe("initd backend against the real kube-apiserver", () => runBackendScenario(hostAdapter("initd")));
