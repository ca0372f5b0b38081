/** Messages an operator reads: they name their subject and the fix (issue 12). */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { planCommand } from "../../app/plan-command.ts";
import { toStatusWriteError } from "../../engine/git/errors.ts";
import { runCli, validateCommand } from "../../engine/index.ts";

async function bosun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d: Buffer) => (stdout += d.toString()));
  err.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await runCli(args, [validateCommand, planCommand], { stdout: out, stderr: err } as never);
  return { code, stdout, stderr };
}

describe("operator messages", () => {
  it("bosun plan on a missing folder is a usage error (exit 2), like bosun validate", async () => {
    const plan = await bosun(["plan", "/nonexistent/fleet"]);
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain(
      "bosun plan: /nonexistent/fleet is not a directory; give the fleet repo's working tree",
    );
    expect(plan.stderr).toContain("Usage: bosun plan");
    expect(plan.stderr).not.toContain("ENOENT");
    expect((await bosun(["validate", "/nonexistent/fleet"])).code).toBe(2);
  });

  it("classifies a status push that lost a race (a ref or object gone under it) as a race, not a missing branch", () => {
    const gone = Object.assign(new Error('Could not find "refs/heads/bosun/status".'), { code: "NotFoundError" });
    const error = toStatusWriteError(gone, "http://git.example/fleet.git branch bosun/status", []);
    expect(error.kind).toBe("push-rejected");
    expect(error.message).toContain(
      "http://git.example/fleet.git branch bosun/status: push-rejected: the status branch moved",
    );
    expect(error.message).toContain("another writer raced the status push; Bosun refetches and retries");
    expect(error.message).not.toContain("check that the tracked branch");
    const refused = toStatusWriteError(
      Object.assign(new Error("HTTP 401"), { code: "HttpError", data: { statusCode: 401 } }),
      "s",
      [],
    );
    expect(refused.kind).toBe("auth");
  });
});
