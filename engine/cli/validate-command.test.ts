import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");
const bosun = join(root, "bin/bosun.mjs");

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bosun, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// Each case spawns the real CLI (tsx compiles on start): generous timeouts for a loaded machine.
describe("bosun validate (the real CLI binary)", { timeout: 60_000 }, () => {
  it("exits 0 on the example fleet and lists the loaded objects by kind as JSON", async () => {
    const { code, stdout } = await cli("validate", "fleet-repo-example", "--format", "json");
    expect(code).toBe(0);
    const body = JSON.parse(stdout) as { valid: boolean; objects: Record<string, { name: string }[]> };
    expect(body.valid).toBe(true);
    expect(body.objects["DeviceProcessDeployment"]?.map((o) => o.name)).toEqual([
      "dpu-firmware",
      "soc-telemetry",
      "switch-agent",
    ]);
    expect(body.objects["FARAgent"]?.length).toBe(4);
  });

  it("exits 1 on an invalid repo and prints path:line:col: CODE message", async () => {
    const { code, stdout } = await cli("validate", "test/bad-input/invalid-checksum");
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^a\.yaml:7:\d+: INVALID_PATTERN DeviceProcess default\/agent-tor1-01: spec\.artifact\.checksumSHA256 /m,
    );
  });

  it("exits 2 on usage errors and documents every command with --help", async () => {
    expect((await cli("validate", "--format", "xml")).code).toBe(2);
    expect((await cli("validate", "a", "b")).code).toBe(2);
    expect((await cli("no-such-command")).code).toBe(2);
    const help = await cli("validate", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: bosun validate");
    const top = await cli("--help");
    expect(top.stdout).toContain("validate");
  });
});
