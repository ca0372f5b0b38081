/**
 * An invalid commit is reported once, not on every poll: the loop logs its problems at error level
 * once (later polls of the same commit at debug), and `npm start`'s progress printer prints them once.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { ReconcileLoop } from "../../engine/loop/loop.ts";
import type { PassOutcome } from "../../engine/loop/pass.ts";
import { ProgressPrinter } from "../../lab/demo/progress.ts";
import {
  AUTH,
  captureLogger,
  configMap,
  RecordingConsumer,
  startFixture,
  waitFor,
  type Fixture,
} from "../git/helpers.ts";

let fx: Fixture;
let loop: ReconcileLoop;
const log = captureLogger();
const printed: string[] = [];
const outcomes: PassOutcome[] = [];

beforeAll(async () => {
  fx = await startFixture({ "apps/a.yaml": configMap("a", "1") });
  const printer = new ProgressPrinter(
    (line) => printed.push(line),
    () => undefined,
  );
  loop = new ReconcileLoop({
    config: {
      repo: { url: fx.repoUrl, mirrorDir: await fx.tmp("mirror"), credentials: { kind: "env" } },
      poll: { intervalMs: 100, jitter: 0 },
      status: { enabled: false },
    },
    consumer: new RecordingConsumer(),
    logger: log.logger,
    onPass: (outcome) => {
      outcomes.push(outcome);
      printer.pass(outcome);
    },
  });
  process.env["BOSUN_GIT_USERNAME"] = AUTH.username;
  process.env["BOSUN_GIT_PASSWORD"] = AUTH.password;
  await loop.start();
  await waitFor(() => outcomes.some((o) => o.kind === "applied"), "the valid commit applied");
});

afterAll(async () => {
  await loop.stop();
  await fx.dispose();
  delete process.env["BOSUN_GIT_USERNAME"];
  delete process.env["BOSUN_GIT_PASSWORD"];
});

it("logs and prints an invalid commit's problems once while it stays the tracked commit", async () => {
  const bad = await fx.wt.commitAndPush("main", { "apps/b.yaml": "apiVersion: v1\nkind: ConfigMap\n" }, "broken");
  const invalidPasses = (): number => outcomes.filter((o) => o.kind === "invalid" && o.commit === bad).length;
  await waitFor(() => invalidPasses() >= 4, "four polls of the invalid commit");
  const errors = log.lines
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .filter((l) => l.msg.startsWith(`commit ${bad} is invalid`));
  expect(errors.filter((l) => l.level === 50)).toHaveLength(1);
  expect(errors.filter((l) => l.level === 20).length).toBeGreaterThanOrEqual(3);
  expect(errors[0]?.msg).toMatch(/is invalid \(1 problem\); keeping [0-9a-f]{40}; fix the files and push$/);
  expect(printed.filter((l) => l.startsWith(`commit ${bad.slice(0, 12)} is invalid`))).toHaveLength(1);
});
