/**
 * The PR workflow end to end, in Gitea mode and in GitHub mode: the real CLI (`bosun serve` with a
 * `forge:` section) against the real git server, the real kube-apiserver (devices played by the
 * simulator) and the lab forge, which delivers signed webhooks to the engine. One story per mode:
 * a version bump PR gets one plan comment and a pending→success status; a new push edits that
 * comment (marker past 250 other comments, on page 3 in GitHub mode); an approval on an old head
 * does not count; one on the current head plus the merge makes Bosun commit the approval file and
 * the approved wave rolls; invalid files fail the status with file:line; a 10,000-device plan is
 * split into parts and joined again as it shrinks; forge faults and bad webhooks; the token never
 * shows up anywhere.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { parseMarker } from "../../engine/pull-requests/index.ts";
import { approvalDocument } from "../../engine/rollout/approvals.ts";
import { installDeviceCrds } from "../../lab/devices/crds.ts";
import { generateFleet } from "../../lab/devices/fleet.ts";
import { createInventory } from "../../lab/devices/inventory.ts";
import { startSimulator, type Simulator } from "../../lab/devices/simulator.ts";
import { startLabForge, type LabForge } from "../../lab/forge/index.ts";
import { createBareRepo, git, startGitServer, WorkTree, type GitServer } from "../../lab/git-server/index.ts";
import { deploymentYaml, startEngineProcess, waitFor, type EngineProcess } from "../e2e/support.ts";
import { createTestNamespace, kubeClient, kubeConnection, type TestNamespace } from "../support/kube.ts";
import { bigDeploymentYaml, bosunYaml, clientAs, FORGE_USERS, REPO, TOKENS, WEBHOOK_SECRET } from "./support.ts";

const BIG = 10_000;
const SWITCHES = 6;

let client: KubeClient;
let big: TestNamespace;
/** The 10,000 SoCs, created while the first mode's tests run (no deployment there selects SoCs). */
let bigReady: Promise<unknown>;
/** Latency from the webhook delivery to the success status, per mode (recorded in bench/results). */
const latencies: Record<string, number[]> = {};

beforeAll(async () => {
  client = kubeClient({ qps: 400, burst: 800 });
  await installDeviceCrds(client);
  big = await createTestNamespace(client, "prbig");
  const devices = generateFleet({ socs: BIG, racks: 50 });
  bigReady = createInventory(client, devices, { namespace: big.name, seed: 1, concurrency: 32 }).then(
    (r) => r,
    (error: unknown) => error,
  );
});

afterAll(async () => {
  await bigReady;
  await big?.cleanup();
  client?.close();
  process.stderr.write(`[pr-workflow] webhook → success status latency (ms): ${JSON.stringify(latencies)}\n`);
});

for (const mode of ["gitea", "github"] as const) {
  describe(`pull requests on the lab forge (${mode} mode)`, () => {
    let ns: TestNamespace;
    let dir: string;
    let server: GitServer;
    let gitRoot: string;
    let tree: WorkTree;
    let sim: Simulator;
    let forge: LabForge;
    let engine: EngineProcess;
    let pr = 0;
    const heads: string[] = [];

    const bot = (n: number): { id: number; body: string }[] =>
      forge.comments(REPO, n).filter((c) => c.user === "bosun-bot");
    const status = (sha: string, state: string) => async () =>
      forge.statuses(REPO, sha).some((s) => s.state === state) ? forge.statuses(REPO, sha) : undefined;
    const count = (method: string, path: RegExp): number =>
      forge.requests.filter((r) => r.method === method && path.test(r.path)).length;
    const deployment = async (): Promise<Record<string, unknown>> =>
      ((
        await client.get({
          apiVersion: "azure.com/v1alpha1",
          kind: "DeviceProcessDeployment",
          namespace: ns.name,
          name: "switch-agent",
        })
      )?.["status"] ?? {}) as Record<string, unknown>;
    const processes = async (): Promise<KubeObject[]> =>
      (await client.list("azure.com/v1alpha1", "DeviceProcess", { namespace: ns.name })).items;
    const complete = async (revision: string): Promise<boolean> => {
      const s = await deployment();
      const ps = await processes();
      const done = ((s["conditions"] ?? []) as { type: string; reason?: string }[]).some(
        (c) => c.type === "Progressing" && c.reason === "RolloutComplete",
      );
      return (
        done &&
        s["revision"] === revision &&
        ps.length === SWITCHES &&
        ps.every((p) => p.metadata.labels?.["bosun.dev/revision"] === revision)
      );
    };
    const branchFromMain = async (name: string): Promise<void> => {
      await tree.run(["fetch", "-q", "origin", "main"]);
      await tree.run(["checkout", "-q", "-B", name, "FETCH_HEAD"]);
    };
    const snapshot = async (): Promise<string> =>
      JSON.stringify({ status: await deployment(), comments: bot(pr).map((c) => c.body.slice(0, 400)) });

    beforeAll(async () => {
      ns = await createTestNamespace(client, `pr${mode}`);
      dir = await mkdtemp(join(tmpdir(), "bosun-pr-"));
      gitRoot = join(dir, "git");
      server = await startGitServer({ root: gitRoot });
      const gitdir = await createBareRepo(gitRoot, "fleet");
      tree = await WorkTree.open(`${server.url}/fleet.git`);
      await tree.commitAndPush(
        "main",
        { "bosun.yaml": bosunYaml(ns.name), "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.0.0", 2) },
        "fleet: switch-agent v1.0.0",
      );
      sim = await startSimulator({
        client,
        namespace: ns.name,
        devices: { switches: SWITCHES, racks: 2, spines: 0 },
        seed: 3,
        delayMs: [50, 150],
        heartbeats: false,
      });
      forge = await startLabForge({ mode, users: FORGE_USERS, repos: [{ owner: "acme", name: "fleet", gitdir }] });
      await writeFile(join(dir, "token"), `${TOKENS.bot}\n`);
      await writeFile(join(dir, "webhook-secret"), `${WEBHOOK_SECRET}\n`);
      engine = await startEngineProcess({
        git: {
          repo: { url: `${server.url}/fleet.git`, ref: "main", mirrorDir: join(dir, "mirror") },
          poll: { intervalMs: 1000, jitter: 0.1 },
        },
        kubernetes: { kubeconfig: kubeConnection().kubeconfigPath, qps: 200, burst: 400, stateNamespace: ns.name },
        engine: { requeueMs: 300, useHeartbeats: false },
        listen: { host: "127.0.0.1", port: 0 },
        forge: {
          kind: mode,
          url: forge.clientUrl,
          repo: REPO,
          tokenFile: join(dir, "token"),
          webhookSecretFile: join(dir, "webhook-secret"),
          pollIntervalMs: 2000,
          maxWebhookBytes: 1024 * 1024,
        },
      });
      const url = await waitFor(
        "the engine's address",
        async () => /metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(engine.output())?.[1],
      );
      forge.setWebhook(`${url}/hooks/forge`, WEBHOOK_SECRET);
      // The first release: canary rolls, the fleet wave is approved by file, then all run v1.0.0.
      const revision = await waitFor("the first revision", async () => (await deployment())["revision"] as string);
      const doc = approvalDocument({
        namespace: ns.name,
        name: "switch-agent",
        wave: "fleet",
        revision,
        approvedBy: "setup",
        folder: "approvals/",
      });
      await tree.commitAndPush("main", { [doc.path]: doc.text }, "approve v1.0.0");
      await waitFor("the first rollout", () => complete(revision), 90_000, 250, snapshot);
    });

    afterEach((ctx) => {
      if (ctx.task.result?.state === "fail" && engine)
        writeFileSync(join(tmpdir(), `bosun-pr-engine-${mode}.log`), engine.output());
    });

    afterAll(async () => {
      // The engine's own timing of each PR pass (webhook → status), for bench/results/pr-latency.md.
      const passes = (engine?.output() ?? "")
        .split("\n")
        .filter((l) => l.includes("pr: plan comment and status updated"))
        .map((l) => {
          try {
            return (JSON.parse(l) as { ms?: unknown }).ms;
          } catch {
            return l;
          }
        });
      process.stderr.write(`[pr-workflow] ${mode} engine PR passes (ms): ${JSON.stringify(passes)}\n`);
      await engine?.kill("SIGTERM");
      await sim?.stop();
      await forge?.stop();
      await tree?.dispose();
      await server?.stop();
      await ns?.cleanup();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("a PR bumping the deployment gets one comment with the per-wave plan and a pending→success status", async () => {
      await branchFromMain("bump");
      heads.push(
        await tree.commitAndPush(
          "bump",
          { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v2.0.0", 2) },
          "v2.0.0",
        ),
      );
      pr = (await forge.openPull(REPO, { head: "bump", author: "carol", deliver: false })).number;
      // 250 comments of other people first: Bosun's own lands behind them (page 3 at 100 a page).
      for (let i = 0; i < 250; i++) forge.addComment(REPO, pr, i % 2 ? "carol" : "mallory", `comment ${i}`);
      const t0 = Date.now();
      const delivery = await forge.send("pull_request", forge.pullPayload(REPO, pr, "opened"));
      expect(delivery.status).toBe(202);
      const statuses = await waitFor("success status", status(heads[0]!, "success"), 60_000, 50, snapshot);
      (latencies[mode] ??= []).push(Date.now() - t0);
      expect(statuses.map((s) => [s.state, s.context])).toEqual([
        ["pending", "bosun/plan"],
        ["success", "bosun/plan"],
      ]);
      const success = statuses[1]!;
      expect(success.description.length).toBeLessThanOrEqual(140);
      expect(success.description).toMatch(/6 devices to update, 1 wave need approval · plan [0-9a-f]{12}$/);
      expect(success.targetUrl).toMatch(/\/plans\/1$/);
      const mine = bot(pr);
      expect(mine).toHaveLength(1);
      const marker = parseMarker(mine[0]!.body);
      expect(marker).toMatchObject({ scope: "default", part: 1, parts: 1, head: heads[0] });
      expect(success.description).toContain(marker!.digest!.slice(0, 12));
      expect(mine[0]!.body).toMatch(/\| canary \| 3 \/ 3 devices \| restart \| auto \|/);
      expect(mine[0]!.body).toMatch(/\| fleet \| 3 \/ 3 devices \| restart \| \*\*waits\*\*/);
      expect(forge.comments(REPO, pr).findIndex((c) => c.user === "bosun-bot")).toBe(250);
      // The full plan behind the status link.
      const full = await (await fetch(success.targetUrl)).text();
      expect(full).toContain(`Plan ${marker!.digest}`);
    });

    it("a new push edits the same comment in place, found past 250 other comments", async () => {
      const [before] = bot(pr);
      const posts = count("POST", /\/issues\/\d+\/comments$/);
      const patches = count("PATCH", /\/issues\/comments\/\d+$/);
      heads.push(
        await tree.commitAndPush(
          "bump",
          { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v2.0.1", 2) },
          "v2.0.1",
        ),
      );
      expect((await forge.pushed(REPO, pr))?.status).toBe(202);
      await waitFor("success status on the new head", status(heads[1]!, "success"), 60_000, 50, snapshot);
      const after = bot(pr);
      expect(after).toHaveLength(1);
      expect(after[0]!.id).toBe(before!.id);
      expect(parseMarker(after[0]!.body)?.head).toBe(heads[1]);
      expect(after[0]!.body).toContain("The plan changed since the last comment");
      expect(count("POST", /\/issues\/\d+\/comments$/)).toBe(posts);
      expect(count("PATCH", /\/issues\/comments\/\d+$/)).toBe(patches + 1);
      // GitHub mode pages at 100: Bosun's comment (the 251st) is found on page 3; Gitea answers all at once.
      const pages = forge.requests
        .filter((r) => r.method === "GET" && r.path.endsWith(`/issues/${pr}/comments`))
        .map((r) => new URLSearchParams(r.query).get("page"));
      if (mode === "github") expect(pages).toContain("3");
      else expect(pages.every((p) => p === null)).toBe(true);
    });

    it("an approval on an older head commit does not approve", async () => {
      await clientAs(forge, TOKENS.alice).createReview(pr, { event: "approve", commitId: heads[0]! });
      const body = await waitFor(
        "the stale-approval note",
        async () => bot(pr)[0]?.body.match(/@alice: approval is on an older head commit[^\n]*/)?.[0],
        60_000,
        100,
        snapshot,
      );
      expect(body).toContain(heads[0]!.slice(0, 12));
      expect(bot(pr)[0]!.body).toMatch(/\| fleet \| 3 \/ 3 devices \| restart \| \*\*waits\*\*/);
      // Someone not in bosun.yaml's approvers does not count either.
      await clientAs(forge, TOKENS.mallory).createReview(pr, { event: "approve" });
      await waitFor(
        "the not-an-approver note",
        async () => bot(pr)[0]?.body.includes("@mallory: not an approver"),
        60_000,
        100,
        snapshot,
      );
    });

    it("an approval on the current head plus the merge: Bosun commits the approval file and the wave rolls", async () => {
      await clientAs(forge, TOKENS.alice).createReview(pr, { event: "approve" });
      await waitFor(
        "the approval in the comment",
        async () => bot(pr)[0]?.body.includes("approved by @alice: files committed on merge"),
        60_000,
        100,
        snapshot,
      );
      const marker = parseMarker(bot(pr)[0]!.body)!;
      expect(marker.waves).toEqual([
        expect.objectContaining({ namespace: ns.name, name: "switch-agent", wave: "fleet" }),
      ]);
      const revision = marker.waves![0]!.revision;
      const merged = await forge.merge(REPO, pr, "alice");
      expect(merged.delivery?.status).toBe(202);
      const gitdir = join(gitRoot, "fleet.git");
      const path = `approvals/${ns.name}/switch-agent/fleet-${revision}.yaml`;
      const file = await waitFor(
        "the approval file on main",
        async () => git(["--git-dir", gitdir, "show", `main:${path}`]).catch(() => undefined),
        60_000,
        100,
        snapshot,
      );
      const approval = parse(file) as { spec: { wave: string; revision: string; approvedBy: string } };
      expect(approval.spec).toMatchObject({ wave: "fleet", revision });
      expect(approval.spec.approvedBy).toMatch(
        new RegExp(`^alice \\(review of PR #${pr} at ${heads[1]!.slice(0, 12)}, plan [0-9a-f]{16}\\)$`),
      );
      const log = await git(["--git-dir", gitdir, "log", "-1", "--format=%an|%s", "main", "--", path]);
      expect(log.trim()).toMatch(new RegExp(`^Bosun\\|Approve ${ns.name}/switch-agent fleet \\(PR #${pr}`));
      expect((await git(["--git-dir", gitdir, "rev-parse", "main^"])).trim()).toBe(merged.commit);
      // Both waves roll to the merged revision: the fleet wave on the approval Bosun committed.
      await waitFor("the approved rollout", () => complete(revision), 120_000, 250, snapshot);
      await waitFor(
        "the comment names the commit",
        async () => bot(pr)[0]?.body.includes("approval files committed by Bosun in"),
        30_000,
      );
    });

    it("invalid fleet files give a failure status and a comment with file:line", async () => {
      await branchFromMain("broken");
      const head = await tree.commitAndPush(
        "broken",
        { "devices/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nmetadata:\n  name: y\n" },
        "broken",
      );
      pr = (await forge.openPull(REPO, { head: "broken", author: "carol" })).number;
      const statuses = await waitFor("failure status", status(head, "failure"), 60_000, 50, snapshot);
      expect(statuses.at(-1)!.description).toMatch(/^invalid fleet: 1 problem \(first devices\/broken\.yaml:5\)$/);
      expect(bot(pr)).toHaveLength(1);
      expect(bot(pr)[0]!.body).toContain("`devices/broken.yaml:5:1: DUPLICATE_KEY");
    });

    it("forge 500 and 429 while the comment is updated are retried, never a duplicate comment", async () => {
      const before = bot(pr)[0]!;
      forge.inject({ method: "PATCH", path: /\/issues\/comments\/\d+$/, status: 500 });
      forge.inject({ method: "PATCH", path: /\/issues\/comments\/\d+$/, status: 429, retryAfter: "1" });
      const head = await tree.commitAndPush("broken", { "devices/broken.yaml": null }, "fix");
      await forge.pushed(REPO, pr);
      await waitFor("success after the faults", status(head, "success"), 60_000, 50, snapshot);
      expect(bot(pr).map((c) => c.id)).toEqual([before.id]);
      const patches = forge.requests.filter(
        (r) => r.method === "PATCH" && r.path.endsWith(`/issues/comments/${before.id}`),
      );
      expect(patches.map((r) => r.status).slice(-3)).toEqual([500, 429, 200]);
      // A create whose answer is lost after it landed: read again, edited, not created twice.
      await branchFromMain("third");
      const third = await tree.commitAndPush(
        "third",
        { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v3.0.0", 2) },
        "v3",
      );
      forge.inject({ method: "POST", path: /\/issues\/\d+\/comments$/, status: 500, after: true });
      pr = (await forge.openPull(REPO, { head: "third", author: "carol" })).number;
      await waitFor("success despite the lost create", status(third, "success"), 60_000, 50, snapshot);
      expect(bot(pr)).toHaveLength(1);
      expect(
        forge.requests
          .filter((r) => r.method === "POST" && r.path.endsWith(`/issues/${pr}/comments`))
          .map((r) => r.status),
      ).toEqual([500]);
    });

    it(`a ${BIG.toLocaleString("en")}-device plan is split into parts, and joined again as it shrinks`, async () => {
      const inventory = await bigReady;
      expect(inventory).toMatchObject({ created: expect.any(Number) as number });
      await branchFromMain("big");
      const head = await tree.commitAndPush("big", { "devices/big-agent.yaml": bigDeploymentYaml(big.name) }, "big");
      pr = (await forge.openPull(REPO, { head: "big", author: "carol" })).number;
      await waitFor("success on the big plan", status(head, "success"), 120_000, 100, snapshot);
      const parts = bot(pr);
      expect(parts.length).toBeGreaterThanOrEqual(3);
      const markers = parts.map((c) => parseMarker(c.body)!);
      expect(markers.map((m) => m.part)).toEqual(parts.map((_, i) => i + 1));
      expect(markers.every((m) => m.parts === parts.length)).toBe(true);
      expect(parts[0]!.body).toContain(`| remaining | ${BIG} / ${BIG} devices | restart | auto |`);
      for (const c of parts) expect(c.body.length).toBeLessThanOrEqual(65_536);
      // Every device listed exactly once over the parts.
      const listed = parts.flatMap((c) => [...c.body.matchAll(/^- `([^`]+)`$/gm)].map((m) => m[1]));
      expect(listed).toHaveLength(BIG);
      expect(new Set(listed).size).toBe(BIG);
      const firstId = parts[0]!.id;
      const shrunk = await tree.commitAndPush(
        "big",
        { "devices/big-agent.yaml": bigDeploymentYaml(big.name, "rack1") },
        "rack1 only",
      );
      await forge.pushed(REPO, pr);
      await waitFor("success on the shrunk plan", status(shrunk, "success"), 120_000, 100, snapshot);
      const joined = bot(pr);
      expect(joined.map((c) => c.id)).toEqual([firstId]);
      expect(parseMarker(joined[0]!.body)).toMatchObject({ part: 1, parts: 1, head: shrunk });
      expect([...joined[0]!.body.matchAll(/^- `([^`]+)`$/gm)]).toHaveLength(BIG / 50);
    });

    it("webhooks with a bad, missing or empty signature get 401, a replay is dropped, 10 MB gets 413: no pass", async () => {
      const payload = forge.pullPayload(REPO, pr, "synchronize");
      // Passes of a PR, from the engine's log (the poll reads open PRs too, but plans only moved heads).
      const passes = (n: number): number =>
        engine
          .output()
          .split("\n")
          .filter((l) => l.includes("pr: plan comment and status updated") && l.includes(`"pr":${n},`)).length;
      const gets = (): number => passes(pr);
      const before = gets();
      for (const signature of ["bad", "missing", "empty"] as const)
        expect((await forge.send("pull_request", payload, { signature })).status).toBe(401);
      const good = await forge.send("pull_request", payload, { id: "delivery-replayed" });
      expect(good.status).toBe(202);
      await waitFor("the good delivery's pass", async () => gets() === before + 1, 60_000, 50);
      const replay = await forge.send("pull_request", payload, { id: "delivery-replayed" });
      expect(replay).toMatchObject({ status: 200, body: "duplicate delivery ignored\n" });
      const huge = Buffer.alloc(10 * 1024 * 1024, 0x20);
      expect((await forge.send("pull_request", {}, { body: huge })).status).toBe(413);
      // The engine is fine: healthy, and the next delivery (for another PR) is planned; the queue
      // is first in, first out, so a pass for the dropped ones would have come before it.
      const url = /metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(engine.output())![1]!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const other = pr - 1;
      const otherPasses = passes(other);
      expect((await forge.send("pull_request", forge.pullPayload(REPO, other, "synchronize"))).status).toBe(202);
      await waitFor("the next pass", async () => passes(other) > otherPasses, 60_000, 50);
      expect(gets()).toBe(before + 1);
    });

    it("a PR whose webhook was lost is planned by the poll of refs/pull/N/head", async () => {
      await branchFromMain("lost");
      const head = await tree.commitAndPush(
        "lost",
        { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v4.0.0", 2) },
        "v4",
      );
      const lost = (await forge.openPull(REPO, { head: "lost", author: "carol", deliver: false })).number;
      await waitFor("the poll's plan", status(head, "success"), 60_000, 100, snapshot);
      expect(bot(lost)).toHaveLength(1);
      expect(engine.output()).toMatch(new RegExp(`"pr":${lost},[^\n]*pr: plan comment and status updated`));
    });

    it("the token and the webhook secret never appear in logs, comments or statuses", () => {
      const everything = [
        engine.output(),
        ...[1, 2, 3, 4, 5].flatMap((n) => forge.comments(REPO, n).map((c) => c.body)),
        ...heads.flatMap((h) => forge.statuses(REPO, h).map((s) => JSON.stringify(s))),
      ].join("\n");
      expect(everything.length).toBeGreaterThan(10_000);
      expect(everything).not.toContain(TOKENS.bot);
      expect(everything).not.toContain(WEBHOOK_SECRET);
      expect(engine.output()).toContain("pr: plan comment and status updated");
    });
  });
}
