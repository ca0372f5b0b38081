/**
 * `bosun approve` against a real git working tree: who approved comes from --as or the repo's git
 * identity (never $USER), the commit is authored by that identity, an auto or unknown wave is
 * refused, and --prune removes approvals of other revisions.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { approveCommand } from "../../app/approve-command.ts";
import { runCli } from "../../engine/index.ts";

const run = promisify(execFile);
const saved: Record<string, string | undefined> = {};
let dir: string;

const checksum = "a".repeat(64);
function deployment(version: string): string {
  return `apiVersion: azure.com/v1alpha1
kind: DeviceProcessDeployment
metadata:
  name: switch-agent
spec:
  selector:
    matchLabels:
      type: switch
  waves:
    - name: canary
      selector:
        matchLabels:
          rack: rack1
    - name: fleet
      approval: required
  template:
    spec:
      artifact:
        type: oci
        url: ghcr.io/apollo/switch-agent:${version}
        version: ${version}
        checksumSHA256: "${checksum}"
      execution:
        backend: systemd
        command: ["/usr/bin/switch-agent"]
`;
}

async function approve(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d: Buffer) => (stdout += d.toString()));
  err.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await runCli(["approve", ...args, "--repo", dir], [approveCommand], {
    stdout: out,
    stderr: err,
  } as never);
  return { code, stdout, stderr };
}

const git = async (...args: string[]): Promise<string> => (await run("git", ["-C", dir, ...args])).stdout;

beforeAll(() => {
  // No global or system git identity, and a $USER that must not be taken for the approver.
  for (const key of ["GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "USER", "EMAIL"]) saved[key] = process.env[key];
  process.env["GIT_CONFIG_GLOBAL"] = "/dev/null";
  process.env["GIT_CONFIG_NOSYSTEM"] = "1";
  process.env["USER"] = "not-the-approver";
  delete process.env["EMAIL"];
});

afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = await mkdtemp(join(tmpdir(), "bosun-approve-"));
  await mkdir(join(dir, "devices"));
  await writeFile(
    join(dir, "bosun.yaml"),
    "apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: infra\n",
  );
  await writeFile(join(dir, "devices/switch-agent.yaml"), deployment("v1.0.0"));
  await git("init", "-q", "-b", "main");
  await git("add", ".");
  await git("-c", "user.name=Setup", "-c", "user.email=setup@example.com", "commit", "-qm", "fleet");
});

describe("bosun approve", () => {
  it("records --as and authors the commit as that identity", async () => {
    const r = await approve(
      "DeviceProcessDeployment/switch-agent",
      "--wave",
      "fleet",
      "--as",
      "Ada Lovelace <ada@example.com>",
      "--commit",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const file = /wrote (\S+):/.exec(r.stdout)?.[1] ?? "";
    expect(await readFile(join(dir, file), "utf8")).toContain('approvedBy: "Ada Lovelace <ada@example.com>"');
    expect(await git("log", "-1", "--format=%an <%ae>|%cn <%ce>|%s")).toBe(
      "Ada Lovelace <ada@example.com>|Ada Lovelace <ada@example.com>|Approve wave fleet of infra/switch-agent at revision " +
        `${/revision (\w+)/.exec(r.stdout)?.[1]}\n`,
    );
  });

  it("takes the repo's git identity when --as is not given", async () => {
    await git("config", "user.name", "Grace Hopper");
    await git("config", "user.email", "grace@example.com");
    const r = await approve("DeviceProcessDeployment/switch-agent", "--wave", "fleet", "--commit");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("approved by Grace Hopper <grace@example.com>");
    expect(await git("log", "-1", "--format=%an <%ae>")).toBe("Grace Hopper <grace@example.com>\n");
    expect(r.stdout).not.toContain("not-the-approver");
  });

  it("refuses when nobody is known (no --as, no git identity), writing nothing", async () => {
    const r = await approve("DeviceProcessDeployment/switch-agent", "--wave", "fleet", "--commit");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("who approves?");
    expect(r.stderr).toContain('pass --as "NAME <EMAIL>"');
    expect(existsSync(join(dir, "approvals"))).toBe(false);
    expect(await git("log", "--format=%s")).toBe("fleet\n");
  });

  it("refuses an auto wave and an unknown wave", async () => {
    const auto = await approve(
      "DeviceProcessDeployment/switch-agent",
      "--wave",
      "canary",
      "--as",
      "Ada <ada@example.com>",
    );
    expect(auto.code).toBe(1);
    expect(auto.stderr).toContain(
      "wave canary of DeviceProcessDeployment infra/switch-agent rolls out without approval",
    );
    expect(auto.stderr).toContain("waves that need one: fleet");
    const unknown = await approve(
      "DeviceProcessDeployment/switch-agent",
      "--wave",
      "flet",
      "--as",
      "Ada <ada@example.com>",
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('has no wave "flet"; its waves: canary, fleet');
    expect(existsSync(join(dir, "approvals"))).toBe(false);
  });

  it("--prune removes approvals of other revisions and commits that", async () => {
    const as = ["--as", "Ada <ada@example.com>"];
    const first = await approve("DeviceProcessDeployment/switch-agent", "--wave", "fleet", ...as, "--commit");
    const oldFile = /wrote (\S+):/.exec(first.stdout)?.[1] ?? "";
    await writeFile(join(dir, "devices/switch-agent.yaml"), deployment("v1.1.0"));
    await git("-c", "user.name=Setup", "-c", "user.email=setup@example.com", "commit", "-qam", "v1.1.0");
    const second = await approve("DeviceProcessDeployment/switch-agent", "--wave", "fleet", ...as, "--commit");
    const newFile = /wrote (\S+):/.exec(second.stdout)?.[1] ?? "";
    expect(newFile).not.toBe(oldFile);
    const pruned = await approve("DeviceProcessDeployment/switch-agent", "--prune", ...as, "--commit");
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain(`  ${oldFile}`);
    expect(existsSync(join(dir, oldFile))).toBe(false);
    expect(existsSync(join(dir, newFile))).toBe(true);
    expect(await git("status", "--porcelain")).toBe("");
    expect(await git("log", "-1", "--format=%s")).toBe("Remove obsolete approvals of infra/switch-agent\n");
    const again = await approve("DeviceProcessDeployment/switch-agent", "--prune");
    expect(again.stdout).toContain("no approval files of other revisions");
  });
});
