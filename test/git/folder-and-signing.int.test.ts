import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReconcileLoop } from "../../engine/loop/loop.ts";
import type { PassOutcome } from "../../engine/loop/pass.ts";
import { createSigningKey, disposeSigningKey, type SigningKey } from "../../lab/git-server/index.ts";
import { processesMentioning } from "../support/daemons.ts";
import {
  AUTH,
  captureLogger,
  configMap,
  readBranch,
  RecordingConsumer,
  startFixture,
  waitFor,
  type Fixture,
} from "./helpers.ts";

describe("status folder on the tracked branch", () => {
  let fx: Fixture;
  let loop: ReconcileLoop;
  const consumer = new RecordingConsumer();

  beforeAll(async () => {
    fx = await startFixture({
      "bosun.yaml": "apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\nstatus:\n  mode: folder\n  folder: status/\n",
      "apps/a.yaml": configMap("a", "1"),
    });
    loop = new ReconcileLoop({
      config: {
        repo: {
          url: fx.repoUrl,
          mirrorDir: await fx.tmp("mirror"),
          credentials: { kind: "file", path: await credsFile(fx) },
        },
        poll: { intervalMs: 150, jitter: 0 },
        status: { mode: "folder" },
      },
      consumer,
      logger: captureLogger().logger,
    });
    await loop.start();
  });
  afterAll(async () => {
    await loop.stop();
    await fx.dispose();
  });

  it("commits status/ files to main and does not react to its own status commits", async () => {
    const human = (await fx.wt.run(["rev-parse", "HEAD"])).trim();
    await waitFor(
      async () => (await readBranch(fx.wt, "main"))?.files.includes("status/_commit.yaml") ?? false,
      "status folder on main",
    );
    const passes = loop.state.passes;
    await waitFor(() => loop.state.passes >= passes + 4, "several more polls");
    await loop.idle();
    const main = (await readBranch(fx.wt, "main"))!;
    // Exactly one status commit on top of the human one: the engine's own commit did not start a cycle.
    expect(main.count).toBe(2);
    expect(await main.show("status/_commit.yaml")).toContain(`observedCommit: ${human}`);
    expect(new Set(consumer.commits)).toEqual(new Set([human]));
    expect(main.files).toContain("status/objects/ConfigMap/default/a.yaml");
    expect(await fx.wt.run(["log", "-1", "--format=%an <%ae>", main.head])).toBe("Bosun <bosun@localhost>\n");
  });
});

describe("signed desired-state commits", () => {
  let fx: Fixture;
  let loop: ReconcileLoop;
  let signer: SigningKey & { publicKey: string };
  const consumer = new RecordingConsumer();
  const outcomes: PassOutcome[] = [];

  beforeAll(async () => {
    signer = await createSigningKey();
    fx = await startFixture();
    // The initial commit is unsigned; sign a first good one.
    await fx.wt.commitAndPush("main", { "apps/signed.yaml": configMap("signed", "1") }, "signed", signer);
    loop = new ReconcileLoop({
      config: {
        repo: {
          url: fx.repoUrl,
          mirrorDir: await fx.tmp("mirror"),
          credentials: { kind: "file", path: await credsFile(fx) },
        },
        poll: { intervalMs: 150 },
        verify: { trustedKeys: [signer.publicKey] },
      },
      consumer,
      logger: captureLogger().logger,
      onPass: (o) => outcomes.push(o),
    });
    await loop.start();
    await waitFor(() => consumer.calls.length >= 1, "signed commit applied");
  });
  afterAll(async () => {
    await loop.stop();
    await fx.dispose();
    await disposeSigningKey(signer);
    expect(processesMentioning(signer.gnupgHome), "gpg daemons left behind").toEqual([]);
  });

  it("does not apply an unsigned commit, says why in status, and applies the next signed one", async () => {
    const unsigned = await fx.wt.commitAndPush("main", { "apps/u.yaml": configMap("u", "1") }, "unsigned");
    await waitFor(() => outcomes.some((o) => o.kind === "unverified" && o.commit === unsigned), "unverified outcome");
    expect(consumer.commits).not.toContain(unsigned);
    await waitFor(
      async () =>
        (await (await readBranch(fx.wt, "bosun/status"))?.show("_commit.yaml"))?.includes("phase: Unverified") ?? false,
      "status says unverified",
    );
    const status = (await readBranch(fx.wt, "bosun/status"))!;
    expect(await status.show("_commit.yaml")).toContain(`commit ${unsigned} is not signed`);
    const signed = await fx.wt.commitAndPush("main", { "apps/v.yaml": configMap("v", "1") }, "signed again", signer);
    await waitFor(() => consumer.commits.includes(signed), "next signed commit applied");
  });
});

async function credsFile(fx: Fixture): Promise<string> {
  const { writeFile } = await import("node:fs/promises");
  const dir = await fx.tmp("creds");
  const path = `${dir}/git-credentials.yaml`;
  await writeFile(path, `username: ${AUTH.username}\npassword: ${AUTH.password}\n`, { mode: 0o600 });
  return path;
}
