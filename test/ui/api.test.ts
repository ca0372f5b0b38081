/**
 * The dashboard's server side on plain data: the read model (paging, facets, rollouts with the
 * approve command, drift appearing and going, history, staleness), the /api and /ui routes, the
 * token and proxy-header access rules, the SSE stream's coalescing, and a grep over every response
 * for secret values.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinKinds } from "../../engine/index.ts";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readEngineConfig } from "../../app/engine-config.ts";
import { createUi, resolveUiConfig, UiReadModel, UiServer, type UiSettings } from "../../app/ui/index.ts";
import {
  change,
  configMap,
  deployment,
  desiredOf,
  fakeLive,
  farAgent,
  report,
  rolloutWaiting,
  secret,
  SECRET_B64,
  SECRET_PLAIN,
  statusOf,
  STRING_SECRET,
} from "./fixtures.ts";

const TOKEN = "ui-token-5b1d2c9e8f7a";

async function serve(model: UiReadModel, settings: UiSettings): Promise<{ url: string; server: Server; ui: UiServer }> {
  const ui = new UiServer({ model, settings, coalesceMs: 50, heartbeatMs: 60_000 });
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (ui.handles(path)) ui.handle(req, res);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, ui };
}

function fedModel(now: { t: number }): UiReadModel {
  const model = new UiReadModel({ kinds: builtinKinds, live: fakeLive(3000), staleAfterMs: 60_000, now: () => now.t });
  const objects = [deployment, secret, configMap, farAgent];
  model.applied(desiredOf(objects), [
    statusOf(deployment, "WaitingForApproval"),
    statusOf(secret, "Ready", { drift: [{ pointer: "/data/password", desired: SECRET_B64, live: "bGVhaw==" }] }),
    statusOf(configMap, "Ready"),
    statusOf(farAgent, "Ready"),
  ]);
  model.report(
    report(
      [
        change(deployment, "unchanged", "unchanged"),
        // A backend that (wrongly) carried a Secret's values: the dashboard must not pass them on.
        change(secret, "configured", "drift corrected: /data/password, /stringData/apiKey", [
          { pointer: "/data/password", desired: SECRET_B64, live: "bGVhaw==" },
          { pointer: "/stringData/apiKey", desired: STRING_SECRET, live: "x" },
        ]),
        change(configMap, "configured", "drift corrected: /data/level", [
          { pointer: "/data/level", desired: "debug", live: "trace" },
        ]),
      ],
      [rolloutWaiting()],
    ),
  );
  model.pass({
    kind: "applied",
    commit: "c0ffee0000000000000000000000000000000000",
    objects: 4,
    statusCommit: "5eed000000",
  });
  return model;
}

describe("dashboard API", () => {
  const now = { t: 1_000_000 };
  let model: UiReadModel;
  let open: { url: string; server: Server; ui: UiServer };

  beforeAll(async () => {
    model = fedModel(now);
    open = await serve(model, { enabled: true });
  });
  afterAll(async () => {
    open.ui.close();
    await new Promise((r) => open.server.close(r));
  });

  const get = async (path: string): Promise<unknown> => {
    const res = await fetch(`${open.url}${path}`);
    expect(res.status, path).toBe(200);
    return res.json();
  };

  it("pages the fleet on the server, with facets over every row and filters", async () => {
    const page = (await get("/api/fleet?limit=50&offset=100")) as {
      total: number;
      items: { kind: string; name: string; phase: string }[];
      facets: { kind: Record<string, number>; phase: Record<string, number>; backend: Record<string, number> };
    };
    expect(page.total).toBe(3004);
    expect(page.items).toHaveLength(50);
    expect(page.facets.kind["NetworkSwitch"]).toBe(3000);
    expect(page.facets.backend).toMatchObject({ kubernetes: 3, flintlock: 1, inventory: 3000 });
    expect(page.facets.phase["NotReady"]).toBe(1000);
    const notReady = (await get("/api/fleet?phase=NotReady&limit=10")) as typeof page;
    expect(notReady.total).toBe(1000);
    expect(notReady.items.every((r) => r.phase === "NotReady")).toBe(true);
    const search = (await get("/api/fleet?q=sw-00299&limit=500")) as typeof page;
    expect(search.items.map((r) => r.name)).toEqual(Array.from({ length: 10 }, (_, i) => `sw-00299${i}`));
    const capped = (await get("/api/fleet?limit=100000")) as typeof page;
    expect(capped.items).toHaveLength(500);
    const kind = (await get("/api/fleet?kind=FARAgent")) as typeof page;
    expect(kind.items).toEqual([expect.objectContaining({ name: "far-1", backend: "flintlock", phase: "Ready" })]);
  });

  it("shows the rollout's waves, budget and the exact approve command", async () => {
    const { items } = (await get("/api/rollouts")) as {
      items: { name: string; approval?: { command: string }; budget?: unknown; waves: { name: string }[] }[];
    };
    expect(items).toHaveLength(1);
    expect(items[0]!.approval?.command).toBe(
      "bosun approve DeviceProcessDeployment/switch-agent --wave fleet --namespace infra --commit",
    );
    expect(items[0]!.budget).toEqual({ inFlight: 0, maxUnavailable: 2 });
    expect(items[0]!.waves.map((w) => w.name)).toEqual(["canary", "fleet"]);
  });

  it("lists drift per field and drops it once the object is seen without drift", async () => {
    const { items } = (await get("/api/drift")) as { items: { name: string; mode: string; fields: unknown[] }[] };
    const cm = items.find((d) => d.name === "settings");
    expect(cm).toMatchObject({
      mode: "corrected",
      fields: [{ pointer: "/data/level", desired: "debug", live: "trace" }],
    });
    const sec = items.find((d) => d.name === "db-credentials");
    expect(sec?.fields).toEqual([
      { pointer: "/data/password", redacted: true },
      { pointer: "/stringData/apiKey", redacted: true },
    ]);
    const m = fedModel({ t: 0 });
    m.report(report([change(configMap, "unchanged", "unchanged")]));
    expect(m.driftList().items.map((d) => d.name)).toEqual(["db-credentials"]);
    const capped = new UiReadModel({ kinds: builtinKinds, maxDrift: 2 });
    for (const name of ["a", "b", "c"])
      capped.report(report([change({ ...configMap, name }, "configured", "drift corrected: /data/level")]));
    expect(capped.driftList()).toMatchObject({ total: 2, items: [{ name: "c" }, { name: "b" }] });
  });

  it("keeps passes with commit SHAs, status commits and plan digests", async () => {
    const h = (await get("/api/history")) as { items: Record<string, unknown>[] };
    expect(h.items[0]).toMatchObject({
      outcome: "applied",
      commit: "c0ffee0000000000000000000000000000000000",
      statusCommit: "5eed000000",
      planDigests: ["sha256:plan-1"],
      changes: 3,
      written: 2,
    });
  });

  it("serves an object page twin with status, changes and drift", async () => {
    const o = (await get("/api/objects/ConfigMap/infra/settings")) as Record<string, unknown>;
    expect(o).toMatchObject({ apiVersion: "v1", backend: "kubernetes", status: { phase: "Ready" } });
    expect(o["changes"]).toEqual([expect.objectContaining({ action: "configured" })]);
    const missing = await fetch(`${open.url}/api/objects/ConfigMap/infra/nope`);
    expect(missing.status).toBe(404);
  });

  it("says stale once no pass finished for staleAfterMs", () => {
    expect(model.engine().stale).toBe(false);
    now.t += 61_000;
    expect(model.engine().stale).toBe(true);
    model.pass({ kind: "applied", commit: "c0ffee0000000000000000000000000000000000", objects: 4 });
    expect(model.engine().stale).toBe(false);
  });

  it("never answers with a secret value, on any page or API", async () => {
    const paths = [
      "/ui",
      "/ui/fleet",
      "/ui/drift",
      "/ui/assets/app.js",
      "/ui/assets/app.css",
      "/api",
      "/api/summary",
      "/api/fleet?limit=500",
      "/api/fleet?kind=Secret",
      "/api/rollouts",
      "/api/drift",
      "/api/history",
      "/api/objects/Secret/infra/db-credentials",
      "/api/objects/DeviceProcessDeployment/infra/switch-agent",
    ];
    const bodies: string[] = [];
    for (const p of paths) {
      const res = await fetch(`${open.url}${p}`);
      expect(res.status, p).toBe(200);
      bodies.push(await res.text());
    }
    const all = bodies.join("\n");
    expect(all).toContain("db-credentials"); // the Secret is shown …
    for (const value of [SECRET_PLAIN, SECRET_B64, STRING_SECRET, Buffer.from(STRING_SECRET).toString("base64")])
      expect(all).not.toContain(value); // … its values never
  });

  it("refuses writes", async () => {
    const res = await fetch(`${open.url}/api/fleet`, { method: "DELETE" });
    expect(res.status).toBe(405);
  });

  it("streams one coalesced update for a burst of changes", async () => {
    const abort = new AbortController();
    const res = await fetch(`${open.url}/api/stream`, { signal: abort.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const updates = (): number => text.split("event: update").length - 1;
    const readUntil = async (n: number): Promise<void> => {
      while (updates() < n) text += decoder.decode((await reader.read()).value);
    };
    await readUntil(1);
    for (let i = 0; i < 50; i++) model.report(report([change(configMap, "unchanged", "unchanged")]));
    await readUntil(2);
    const seq = model.seq;
    // One more change after the burst: the next update carries it, so nothing in between was sent.
    model.pass({ kind: "applied", commit: "c0ffee0000000000000000000000000000000000", objects: 4 });
    await readUntil(3);
    abort.abort();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toHaveLength(3);
    expect(ids[1]).toBe(seq);
    expect(ids[2]).toBe(seq + 1);
  });
});

describe("dashboard rollouts and config", () => {
  it("names the failing devices of a paused wave, with no approve command", () => {
    const model = new UiReadModel({ kinds: builtinKinds });
    model.applied(desiredOf([deployment]), [statusOf(deployment, "Paused")]);
    const waiting = rolloutWaiting();
    model.report(
      report(
        [],
        [
          {
            ...waiting,
            status: {
              ...waiting.status,
              phase: "Paused",
              waves: [
                {
                  name: "canary",
                  state: "paused",
                  approval: "auto",
                  total: 4,
                  updated: 4,
                  ready: 1,
                  failed: 3,
                  unreachable: 0,
                },
              ],
              failingDevices: ["tor1-01 (canary): Failed: exit 3", "tor1-02 (canary): CrashLoop: health check failed"],
              failingDevicesOmitted: 1,
            },
            waiting: "wave canary failed its success threshold (1/4 ready, 75% needed)",
          },
        ],
      ),
    );
    const [r] = model.rolloutList();
    expect(r).toMatchObject({
      phase: "Paused",
      waiting: "wave canary failed its success threshold (1/4 ready, 75% needed)",
      failingDevices: ["tor1-01 (canary): Failed: exit 3", "tor1-02 (canary): CrashLoop: health check failed"],
      failingDevicesOmitted: 1,
      budget: { inFlight: 3, maxUnavailable: 2 },
    });
    expect(r?.approval).toBeUndefined();
  });

  it("reads the token from an env variable or a file and refuses a missing one", async () => {
    process.env["BOSUN_UI_TEST_TOKEN_UNIT"] = TOKEN;
    expect((await resolveUiConfig({ tokenEnv: "BOSUN_UI_TEST_TOKEN_UNIT" })).token).toBe(TOKEN);
    await expect(resolveUiConfig({ tokenEnv: "BOSUN_UI_TEST_TOKEN_ABSENT" })).rejects.toThrow(/is not set/);
    await expect(resolveUiConfig({ tokenFile: "/nonexistent/token" })).rejects.toThrow(/cannot be read \(ENOENT\)/);
    expect(await resolveUiConfig(undefined)).toEqual({ enabled: true });
    expect((await resolveUiConfig({ enabled: false })).enabled).toBe(false);
  });
});

describe("dashboard config and the engine's own credentials", () => {
  const config = async (ui: string): Promise<unknown> => {
    const dir = await mkdtemp(join(tmpdir(), "bosun-ui-config-"));
    const file = join(dir, "engine.yaml");
    await writeFile(
      file,
      `git:\n  repo: { url: https://git.example/fleet.git, ref: main, mirrorDir: ${dir}/m }\n` +
        `kubernetes: { kubeconfig: ${dir}/kubeconfig }\nui: ${ui}\n`,
    );
    return readEngineConfig(file);
  };

  it("takes ui: in the engine config, strictly", async () => {
    expect(await config("{ tokenEnv: BOSUN_UI_TOKEN, trustedProxyHeader: X-Forwarded-User }")).toMatchObject({
      ui: { tokenEnv: "BOSUN_UI_TOKEN", trustedProxyHeader: "X-Forwarded-User" },
    });
    await expect(config("{ tokenEnv: A, tokenFile: /b }")).rejects.toThrow(/takes tokenEnv or tokenFile, not both/);
    await expect(config("{ tokn: x }")).rejects.toThrow(/ui\.tokn is not a known field/);
    await expect(config("{ staleAfterMs: 10 }")).rejects.toThrow(/staleAfterMs/);
  });

  it("never answers with the git password or webhook secret, even inside an error text", async () => {
    const password = "git-password-31f7a9c2e";
    const webhook = "webhook-secret-8d0b44aa";
    process.env["BOSUN_GIT_PASSWORD"] = password;
    process.env["BOSUN_UI_TEST_WEBHOOK"] = webhook;
    try {
      const ui = (await createUi({}, { kinds: builtinKinds, secrets: [process.env["BOSUN_UI_TEST_WEBHOOK"]] }))!;
      ui.model.applied(desiredOf([configMap]), [
        statusOf(configMap, "Failed", {
          lastError: `fetch https://bosun:${password}@git.example failed; hook ${webhook}`,
        }),
      ]);
      ui.model.pass({ kind: "applied", commit: "c0ffee0000000000000000000000000000000000", objects: 1 });
      const s = await serve(ui.model, { enabled: true });
      try {
        const body = await (await fetch(`${s.url}/api/objects/ConfigMap/infra/settings`)).text();
        const page = await (await fetch(`${s.url}/api/fleet`)).text();
        expect(body).toContain("[redacted]");
        for (const text of [body, page]) {
          expect(text).not.toContain(password);
          expect(text).not.toContain(webhook);
        }
      } finally {
        s.ui.close();
        await new Promise((r) => s.server.close(r));
      }
    } finally {
      delete process.env["BOSUN_GIT_PASSWORD"];
      delete process.env["BOSUN_UI_TEST_WEBHOOK"];
    }
  });
});

describe("dashboard staleness", () => {
  it("pushes a stale summary to open streams once no pass finished for staleAfterMs", async () => {
    const now = { t: 0 };
    const model = fedModel(now);
    const ui = new UiServer({ model, settings: { enabled: true }, coalesceMs: 10, heartbeatMs: 20 });
    const server = createServer((req, res) => ui.handle(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const abort = new AbortController();
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/stream`, {
        signal: abort.signal,
      });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      const summaries: { engine: { stale: boolean } }[] = [];
      let text = "";
      const next = async (): Promise<{ engine: { stale: boolean } }> => {
        for (;;) {
          const m = /event: update\ndata: (.*)\n\n/.exec(text);
          if (m) {
            text = text.slice(m.index + m[0].length);
            const s = JSON.parse(m[1]!) as { engine: { stale: boolean } };
            summaries.push(s);
            return s;
          }
          text += decoder.decode((await reader.read()).value);
        }
      };
      expect((await next()).engine.stale).toBe(false);
      now.t += 61_000; // the engine stops passing
      expect((await next()).engine.stale).toBe(true);
      model.pass({ kind: "applied", commit: "c0ffee0000000000000000000000000000000000", objects: 4 });
      expect((await next()).engine.stale).toBe(false);
    } finally {
      abort.abort();
      ui.close();
      await new Promise((r) => server.close(r));
    }
  });
});

describe("dashboard access", () => {
  const model = fedModel({ t: 0 });

  it("answers 401 without the token and 200 with it (header or login cookie)", async () => {
    const s = await serve(model, { enabled: true, token: TOKEN });
    try {
      for (const p of [
        "/api/summary",
        "/api/fleet",
        "/api/stream",
        "/api/objects/ConfigMap/infra/settings",
        "/ui",
        "/ui/fleet",
      ]) {
        const res = await fetch(`${s.url}${p}`);
        expect(res.status, p).toBe(401);
        expect(await res.text()).not.toContain(TOKEN);
      }
      const wrong = await fetch(`${s.url}/api/summary`, { headers: { authorization: "Bearer nope" } });
      expect(wrong.status).toBe(401);
      const ok = await fetch(`${s.url}/api/summary`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).not.toContain(TOKEN);
      const login = await fetch(`${s.url}/ui/login`, {
        method: "POST",
        body: new URLSearchParams({ token: TOKEN }),
        redirect: "manual",
      });
      expect(login.status).toBe(303);
      const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
      expect(login.headers.get("set-cookie")).toContain("HttpOnly");
      const page = await fetch(`${s.url}/ui/rollouts`, { headers: { cookie } });
      expect(page.status).toBe(200);
      const bad = await fetch(`${s.url}/ui/login`, { method: "POST", body: "token=nope", redirect: "manual" });
      expect(bad.headers.get("set-cookie")).toBeNull();
    } finally {
      s.ui.close();
      await new Promise((r) => s.server.close(r));
    }
  });

  it("lets a trusted proxy's identity header in and nothing else", async () => {
    const s = await serve(model, { enabled: true, trustedProxyHeader: "x-forwarded-user" });
    try {
      expect((await fetch(`${s.url}/api/summary`)).status).toBe(401);
      const res = await fetch(`${s.url}/api/summary`, { headers: { "X-Forwarded-User": "alice" } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { user: string }).user).toBe("alice");
    } finally {
      s.ui.close();
      await new Promise((r) => s.server.close(r));
    }
  });
});
