/**
 * The engine config corpus: each file under corpus/ is one mistake an operator makes in
 * engine.yaml (its first line says where and what: `# expect: LINE:COL CODE message`).
 * `bosun serve --config FILE --check` must reject each with file:line:col and exit 1.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { serveCommand } from "../../app/serve-command.ts";
import { runCli, validateCommand } from "../../engine/index.ts";

const dir = join(import.meta.dirname, "corpus");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

async function bosun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d: Buffer) => (stdout += d.toString()));
  err.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await runCli(args, [validateCommand, serveCommand], { stdout: out, stderr: err } as never);
  return { code, stdout, stderr };
}

describe("engine config corpus: bosun serve --check", () => {
  it("has a corpus covering every level and mistake", () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  for (const file of files) {
    it(file.replace(/\.yaml$/, ""), async () => {
      const path = join(dir, file);
      const header = /^# expect: (\d+):(\d+) ([A-Z_]+)(?: (.*))?$/m.exec(
        readFileSync(path, "utf8").split("\n")[0] ?? "",
      );
      expect(header, `${file} needs an "# expect: LINE:COL CODE message" first line`).not.toBeNull();
      const [, line, col, code, message] = header!;
      const { code: exit, stderr } = await bosun(["serve", "--config", path, "--check"]);
      expect(exit).toBe(1);
      expect(stderr).toContain(`${path}:${line}:${col}: ${code}${message ? ` ${message}` : ""}`);
      expect(stderr).toMatch(/^bosun serve: engine config .*: \d+ problems?; fix the file/);
    });
  }

  it("accepts a valid config (every section of the README's example) and exits 0", async () => {
    const tmp = await mkdtemp(join(tmpdir(), "bosun-config-"));
    const path = join(tmp, "engine.yaml");
    await writeFile(
      path,
      `git:
  repo:
    url: https://git.example.com/platform/fleet.git
    ref: main
    mirrorDir: /var/lib/bosun/mirror
    credentials: { kind: env }
  poll: { intervalMs: 60000, jitter: 0.1 }
  cron: ["0 */15 * * * *"]
  webhook: { port: 9443, secretEnv: BOSUN_WEBHOOK_SECRET }
  verify: { trustedKeys: [] }
kubernetes:
  kubeconfig: /etc/bosun/kubeconfig
  qps: 50
  burst: 100
engine:
  requeueMs: 2000
  heartbeatStaleMs: 300000
listen: { host: 127.0.0.1, port: 9090 }
log: { level: info }
backends: {}
`,
    );
    const { code, stdout } = await bosun(["serve", "--config", path, "--check"]);
    expect(code).toBe(0);
    expect(stdout).toContain("the engine config is valid");
  });

  it("says so when the file cannot be read", async () => {
    const { code, stderr } = await bosun(["serve", "--config", "/nonexistent/engine.yaml", "--check"]);
    expect(code).toBe(1);
    expect(stderr).toContain("engine config /nonexistent/engine.yaml: cannot be read (ENOENT)");
  });
});
