import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEVICE_NODE_FLAGS } from "./device-runtime.ts";

const REPO = join(import.meta.dirname, "..");
const read = (p: string): Promise<string> => readFile(join(REPO, p), "utf8");

describe("the agent's own deployment (deploy/agent)", () => {
  it("the systemd unit runs the bundle with the device flags, restarts it, and stops only the agent", async () => {
    const unit = await read("deploy/agent/bosun-agent.service");
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? "";
    expect(execStart).toBe(
      `/usr/bin/node ${DEVICE_NODE_FLAGS.join(" ")} /usr/lib/bosun-agent/bosun-agent.cjs --device \${BOSUN_DEVICE} --kubeconfig /etc/bosun/kubeconfig --state-dir /var/lib/bosun-agent $BOSUN_AGENT_ARGS`,
    );
    expect(unit).toMatch(/^KillMode=process$/m); // the processes it runs outlive an agent restart
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/default\/bosun-agent$/m);
  });

  it("the LSB init script and the agent README use the same flags", async () => {
    expect(await read("deploy/agent/bosun-agent.init")).toContain(`NODE_FLAGS="${DEVICE_NODE_FLAGS.join(" ")}"`);
    expect(await read("agent/README.md")).toContain(`node ${DEVICE_NODE_FLAGS.join(" ")} bosun-agent.cjs`);
  });
});
