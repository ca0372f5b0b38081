/**
 * The dashboard in a real browser (issue 17): `bosun serve` (the real CLI) against the real git
 * server and kube-apiserver with the device simulator, as in `npm start`, and Debian's chromium
 * driven by playwright-core. One story: sign in with the token; the rollout view shows the canary
 * wave progressing, then "waiting for approval" with the exact command; that command is run and
 * pushed and the fleet wave moves without a reload; a `kubectl edit` shows up in the drift view and
 * leaves it once corrected; axe-core finds no serious violation on any view; no secret value is
 * anywhere in /ui or /api; the banner says so when the engine goes away. Screenshots:
 * .tmp/ui-artifacts/.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { installDeviceCrds } from "../../lab/devices/crds.ts";
import { startSimulator, type Simulator } from "../../lab/devices/simulator.ts";
import { createBareRepo, startGitServer, WorkTree, type GitServer } from "../../lab/git-server/index.ts";
import { createTestNamespace, kubeClient, kubeConnection, kubectlEnv, type TestNamespace } from "../support/kube.ts";
import { deploymentYaml, startEngineProcess, waitFor, type EngineProcess } from "../e2e/support.ts";
import {
  launchChromium,
  screenshot,
  seriousViolations,
  type PageDocument,
  type PageMutationObserver,
} from "./browser.ts";

// In-page code (page.evaluate) below uses the browser's globals.
declare const document: PageDocument;
declare const window: unknown;
declare const MutationObserver: PageMutationObserver;

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");
const TOKEN = "dashboard-token-7c41e09b";
const SECRET_VALUE = "s3cr3t-db-password-9f2a1c";

describe("dashboard in a browser during a lab rollout", () => {
  let client: KubeClient;
  let ns: TestNamespace;
  let server: GitServer;
  let gitRoot: string;
  let tree: WorkTree;
  let sim: Simulator;
  let engine: EngineProcess;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const engineUrl = (): string => {
    const m = /metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(engine.output());
    if (!m?.[1]) throw new Error("the engine has not said where it listens");
    return m[1];
  };
  /** GET with the token; the body as text. */
  const api = async (path: string): Promise<string> => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return res.text();
  };

  beforeAll(async () => {
    client = kubeClient({ qps: 200, burst: 400 });
    await installDeviceCrds(client);
    ns = await createTestNamespace(client, "ui");
    gitRoot = await mkdtemp(join(tmpdir(), "bosun-ui-git-"));
    server = await startGitServer({ root: gitRoot });
    await createBareRepo(gitRoot, "fleet");
    const repoUrl = `${server.url}/fleet.git`;
    tree = await WorkTree.open(repoUrl);
    // The fleet starts without the deployment: the browser is watching before its first pass.
    await tree.commitAndPush(
      "main",
      {
        "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: ${ns.name}\nstatus:\n  minIntervalSeconds: 1\n`,
        "apps/settings.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: debug\n`,
        "apps/db.yaml": `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\nstringData:\n  password: ${SECRET_VALUE}\n`,
      },
      "fleet: settings",
    );
    sim = await startSimulator({
      client,
      namespace: ns.name,
      devices: { switches: 12, racks: 3, spines: 0 },
      seed: 17,
      // Slow agents: the canary wave stays visibly in progress for a few seconds.
      delayMs: [1500, 3000],
    });
    process.env["BOSUN_UI_TEST_TOKEN"] = TOKEN;
    engine = await startEngineProcess({
      git: {
        repo: { url: repoUrl, ref: "main", mirrorDir: await mkdtemp(join(tmpdir(), "bosun-ui-mirror-")) },
        poll: { intervalMs: 1500, jitter: 0.1 },
      },
      kubernetes: { kubeconfig: kubeConnection().kubeconfigPath, qps: 100, burst: 200, stateNamespace: ns.name },
      engine: { requeueMs: 300 },
      listen: { host: "127.0.0.1", port: 0 },
      // Stale after 10 s without a pass (passes come every 1.5 s here).
      ui: { tokenEnv: "BOSUN_UI_TEST_TOKEN", staleAfterMs: 10_000 },
    });
    base = await waitFor(
      "the engine's listener",
      async () => engineUrl(),
      60_000,
      100,
      async () => engine.output(),
    );
    await waitFor("a first applied pass", async () => (await api("/api/history")).includes('"applied"'), 60_000);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await engine?.kill("SIGTERM");
    await sim?.stop();
    await tree?.dispose();
    await server?.stop();
    await ns?.cleanup();
    client?.close();
    if (gitRoot) await rm(gitRoot, { recursive: true, force: true });
  });

  it("refuses /ui and /api without the token, and signs in with it", async () => {
    for (const p of ["/api/summary", "/api/fleet", "/api/stream", "/ui/rollouts"])
      expect((await fetch(`${base}${p}`)).status, p).toBe(401);
    const res = await page.goto(`${base}/ui/rollouts`);
    expect(res?.status()).toBe(401);
    await page.getByLabel("Access token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForSelector("nav >> text=Rollouts");
    expect(await page.locator("h1").first().textContent()).toBe("Fleet");
    await page.getByRole("link", { name: "Rollouts" }).click();
    await page.waitForSelector("#rollouts-title");
    expect(await page.textContent("main")).toContain("No rollouts");
  });

  it("shows the canary wave progressing, then waiting for approval with the command; after the approval commit the next wave moves without a reload", async () => {
    // Every rendering of the rollout is recorded in the page, so no intermediate state is missed.
    await page.evaluate(() => {
      const w = window as unknown as { __seen: string[]; __loaded: number };
      w.__seen = [];
      w.__loaded = performance.timeOrigin;
      new MutationObserver(() => {
        const s = document.querySelector('[data-testid="rollout-switch-agent"]');
        if (!s) return;
        const row = (wave: string): string => {
          const r = s.querySelector(`tr[data-wave="${wave}"]`);
          return r ? `${r.getAttribute("data-state")}:${r.querySelector('[data-col="updated"]')?.textContent}` : "-";
        };
        const line = `${s.getAttribute("data-phase")}|canary=${row("canary")}|fleet=${row("fleet")}`;
        if (w.__seen.at(-1) !== line) w.__seen.push(line);
      }).observe(document.querySelector("main")!, { subtree: true, childList: true, attributes: true });
    });
    const timeOrigin = await page.evaluate(() => performance.timeOrigin);
    await tree.commitAndPush(
      "main",
      { "devices/switch-agent.yaml": deploymentYaml(ns.name, "v1.0.0") },
      "switch-agent",
    );

    const progressing = page.locator('[data-testid="rollout-switch-agent"][data-phase="Progressing"]');
    await progressing.waitFor({ timeout: 60_000 });
    await screenshot(page, "rollout-canary-progressing");
    const approve = page.getByTestId("approve-command");
    await approve.waitFor({ timeout: 90_000 });
    await screenshot(page, "rollout-waiting-for-approval");
    const command = (await approve.textContent()) ?? "";
    expect(command).toBe(
      `bosun approve DeviceProcessDeployment/switch-agent --wave fleet --namespace ${ns.name} --commit`,
    );
    expect(await page.textContent('[data-testid="rollout-switch-agent"]')).toContain(
      "Waiting for approval of wave fleet",
    );
    const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
    // The canary wave was shown in progress (not done) before the rollout waited for the approval.
    const canaryRolling = seen.findIndex((l) => l.startsWith("Progressing|") && !l.includes("canary=done"));
    const waiting = seen.findIndex((l) => l.startsWith("WaitingForApproval|") && l.includes("canary=done:4/4"));
    expect(canaryRolling, seen.join("\n")).toBeGreaterThanOrEqual(0);
    expect(waiting, seen.join("\n")).toBeGreaterThan(canaryRolling);

    // The approval: exactly the command the page shows, from a clone of the fleet repo, then a push.
    const args = command.split(" ").slice(1);
    await run(process.execPath, [join(root, "bin/bosun.mjs"), ...args, "--as", "UI Test <ui-test@lab.invalid>"], {
      cwd: tree.dir,
    });
    await tree.push("main");
    await page
      .locator('[data-testid="rollout-switch-agent"] tr[data-wave="fleet"]:not([data-state="waiting-approval"])')
      .waitFor({ timeout: 60_000 });
    await screenshot(page, "rollout-fleet-wave-moving");
    await page.locator('[data-testid="rollout-switch-agent"][data-phase="Ready"]').waitFor({ timeout: 90_000 });
    await screenshot(page, "rollout-complete");
    // Same document all along: no reload happened.
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(timeOrigin);
    const after = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
    expect(after.some((l) => /fleet=(rolling|done):[0-9]+\/8/.test(l) && !l.includes("fleet=done:8/8"))).toBe(true);
  });

  it("shows a kubectl edit in the drift view and drops it once corrected", async () => {
    await page.getByRole("link", { name: "Drift" }).click();
    await page.getByTestId("no-drift").waitFor();
    await page.evaluate(() => {
      const w = window as unknown as { __drift: string[] };
      w.__drift = [];
      new MutationObserver(() => {
        const row = document.querySelector('[data-testid="drift-ConfigMap-settings"]');
        if (row && w.__drift.at(-1) !== row.textContent) w.__drift.push(row.textContent ?? "");
      }).observe(document.querySelector("main")!, { subtree: true, childList: true });
    });
    await run("kubectl", ["edit", "configmap", "settings", "-n", ns.name], {
      env: { ...kubectlEnv(), KUBE_EDITOR: "sed -i -e 's/level: debug/level: trace/'" },
    });
    await page.waitForFunction(() => (window as unknown as { __drift: string[] }).__drift.length > 0, null, {
      timeout: 60_000,
    });
    const row = page.getByTestId("drift-ConfigMap-settings");
    if (await row.isVisible()) await screenshot(page, "drift-shown");
    const shown = await page.evaluate(() => (window as unknown as { __drift: string[] }).__drift);
    expect(shown[0]).toContain("/data/level");
    expect(shown[0]).toContain("trace"); // the live value
    expect(shown[0]).toContain("corrected");
    // Corrected by the engine (self-heal), then gone from the view.
    await waitFor("the ConfigMap corrected", async () => {
      const { stdout } = await run(
        "kubectl",
        ["get", "configmap", "settings", "-n", ns.name, "-o", "jsonpath={.data.level}"],
        { env: kubectlEnv() },
      );
      return stdout === "debug";
    });
    await page.getByTestId("no-drift").waitFor({ timeout: 30_000 });
    await screenshot(page, "drift-cleared");
  });

  it("has no serious accessibility violation on any view", async () => {
    const views: [string, string][] = [
      ["/ui/fleet", "#fleet-title"],
      ["/ui/rollouts", '[data-testid="rollout-switch-agent"]'],
      ["/ui/drift", "#drift-title"],
      ["/ui/history", '[data-testid="history-table"]'],
      [`/ui/objects/DeviceProcessDeployment/${ns.name}/switch-agent`, "h2 >> text=Conditions"],
      [`/ui/objects/ConfigMap/${ns.name}/settings`, "h2 >> text=Events"],
    ];
    const found: Record<string, unknown> = {};
    for (const [path, ready] of views) {
      await page.goto(`${base}${path}`);
      await page.waitForSelector(ready);
      if (path === "/ui/fleet") await page.waitForSelector('[data-testid="fleet-table"] tr.row');
      const name = path.split("/").slice(2, 4).join("-");
      await screenshot(page, `view-${name}`);
      const v = await seriousViolations(page);
      if (v.length > 0) found[path] = v;
    }
    expect(found).toEqual({});
    // Keyboard: the skip link is the first stop and moves focus to the content.
    await page.goto(`${base}/ui/rollouts`);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
  });

  it("shows the fleet with counts, filters and the object page with events", async () => {
    await page.goto(`${base}/ui/fleet`);
    await page.waitForSelector('[data-testid="fleet-table"] tr.row');
    const count = await page.getByTestId("fleet-count").textContent();
    // 3 fleet objects (ConfigMap, Secret, DeviceProcessDeployment) plus 12 switches from the live inventory.
    expect(count).toBe("15 rows");
    await page.getByLabel("Kind", { exact: true }).selectOption("NetworkSwitch");
    await page.waitForFunction(() => document.querySelector('[data-testid="fleet-count"]')?.textContent === "12 rows");
    expect(page.url()).toContain("kind=NetworkSwitch");
    await page.goto(`${base}/ui/objects/DeviceProcessDeployment/${ns.name}/switch-agent`);
    await page.waitForSelector('[data-testid="events"]');
    // Its status file, as committed on the status branch.
    const statusFile = (await page.getByTestId("status-file").textContent()) ?? "";
    expect(statusFile).toContain("kind: DeviceProcessDeployment");
    expect(statusFile).toContain("name: switch-agent");
    expect(await page.textContent('[data-testid="events"]')).toMatch(/Rollout|Wave|Approval|Created|Updated/i);
  });

  it("never shows a secret value through /ui or /api", async () => {
    const paths = [
      "/api/summary",
      "/api/fleet?limit=500",
      "/api/rollouts",
      "/api/drift",
      "/api/history?limit=500",
      `/api/objects/Secret/${ns.name}/db-credentials`,
      `/api/objects/ConfigMap/${ns.name}/settings`,
      `/api/objects/DeviceProcessDeployment/${ns.name}/switch-agent`,
      "/ui",
      "/ui/assets/app.js",
    ];
    const bodies = await Promise.all(paths.map(api));
    expect(bodies.join("\n")).toContain("db-credentials");
    const b64 = Buffer.from(SECRET_VALUE).toString("base64");
    for (const body of bodies) {
      expect(body).not.toContain(SECRET_VALUE);
      expect(body).not.toContain(b64);
      expect(body).not.toContain(TOKEN);
    }
    await page.goto(`${base}/ui/objects/Secret/${ns.name}/db-credentials`);
    await page.waitForSelector("h2 >> text=Conditions");
    const html = await page.content();
    expect(html).not.toContain(SECRET_VALUE);
    expect(html).not.toContain(b64);
  });

  it("says stale when the engine stops passing, and so when it goes away", async () => {
    await page.goto(`${base}/ui/rollouts`);
    await page.waitForSelector('[data-testid="rollout-switch-agent"]');
    const banner = page.getByTestId("stale-banner");
    expect(await banner.isHidden()).toBe(true);
    // Frozen: no pass, no answer, the stream stays open.
    engine.child.kill("SIGSTOP");
    try {
      await banner.waitFor({ state: "visible", timeout: 30_000 });
      expect(await banner.textContent()).toMatch(/^Stale: the engine has not finished a pass for \d+ s/);
      await screenshot(page, "engine-stale-banner");
    } finally {
      engine.child.kill("SIGCONT");
    }
    await banner.waitFor({ state: "hidden", timeout: 30_000 });
    await engine.kill("SIGTERM");
    await banner.waitFor({ state: "visible", timeout: 30_000 });
    expect(await banner.textContent()).toMatch(/interrupted|does not answer/);
    await screenshot(page, "engine-gone-banner");
  });
});
