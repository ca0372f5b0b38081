import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReconcileLoop } from "../../engine/loop/loop.ts";
import type { PassOutcome } from "../../engine/loop/pass.ts";
import { AUTH, configMap, loopHarness, waitFor, type Fixture } from "./helpers.ts";

const harness = loopHarness(async (fx) => {
  // Credentials in the URL userinfo: must be split off and never shown.
  const url = fx.repoUrl.replace("http://", `http://${AUTH.username}:${encodeURIComponent(AUTH.password)}@`);
  return {
    repo: { url, mirrorDir: await fx.tmp("mirror"), requestTimeoutMs: 5_000 },
    poll: { intervalMs: 200, jitter: 0.1 },
    backoff: { baseMs: 100, maxMs: 800, jitter: 0.2 },
  };
});
const { consumer, outcomes, log } = harness;
let fx: Fixture;
let loop: ReconcileLoop;

beforeAll(async () => {
  ({ fx, loop } = await harness.start());
});

afterAll(() => harness.stop());

describe("git server stopped mid-run", () => {
  it("keeps running, backs off, keeps the last good state, and recovers when the server returns", async () => {
    const good = consumer.calls.at(-1)!.commit;
    const applied = consumer.calls.length;
    await fx.server.stop();
    await waitFor(() => loop.state.consecutiveFailures >= 4, "four failed passes");
    const failed = outcomes.filter(
      (o): o is Extract<PassOutcome, { kind: "fetch-failed" }> => o.kind === "fetch-failed",
    );
    expect(failed.every((o) => o.error.kind === "unreachable")).toBe(true);
    expect(consumer.calls.length).toBe(applied);
    expect(loop.state.lastGood?.commit).toBe(good);
    // Retry delays grow (exponential, capped at 800 ms).
    const delays = log.lines
      .filter((l) => l.includes('"backing off"'))
      .map((l) => (JSON.parse(l) as { retryInMs: number }).retryInMs);
    expect(delays.length).toBeGreaterThanOrEqual(3);
    expect(delays[2]!).toBeGreaterThan(delays[0]!);
    expect(Math.max(...delays)).toBeLessThanOrEqual(800);

    await fx.server.start();
    const sha = await fx.wt.commitAndPush("main", { "apps/after.yaml": configMap("after", "1") }, "after outage");
    await waitFor(() => consumer.commits.includes(sha), "new commit applied after recovery");
    expect(loop.state.consecutiveFailures).toBe(0);
    const text = log.lines.join("\n");
    expect(text).toContain("unreachable");
    expect(text).not.toContain(AUTH.password);
    expect(text).not.toContain(encodeURIComponent(AUTH.password));
  });
});
