/**
 * Drift as the engine sees it, wired the way `bosun serve` wires it (app/backends.ts with the
 * engine's LiveCache, whose `objects` is the drift cache), on the real kube-apiserver: the fleet
 * reconciler's unchanged passes send no request, a hand edit shows up in the status per field
 * with the live and desired values (a Secret's values redacted) and in `bosun plan`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackends } from "../../app/backends.ts";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { dependenciesOf } from "../../engine/desired/dependencies.ts";
import { loadFleet, type DesiredState } from "../../engine/desired/load-fleet.ts";
import { builtinKinds } from "../../engine/kinds/builtin.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { computePlan } from "../../engine/plan/compute-plan.ts";
import { renderPlanText } from "../../engine/plan/render-plan.ts";
import { FleetReconciler } from "../../engine/reconcile/fleet-reconciler.ts";
import type { Backend } from "../../engine/reconcile/ports.ts";
import { renderObjectStatus } from "../../engine/status/render-object.ts";
import type { ObjectStatus } from "../../engine/status/types.ts";
import { LiveCache } from "../../sources/kubernetes/live-cache.ts";
import { createTestNamespace, kubeClient, type TestNamespace } from "../support/kube.ts";

const logger = createLogger({ level: "silent" });
const enc = new TextEncoder();

describe("drift through the engine's wiring", () => {
  let client: KubeClient;
  let reader: KubeClient;
  let ns: TestNamespace;
  let live: LiveCache;
  let backends: Backend[];
  let desired: DesiredState;
  let requests = 0;
  const stop = new AbortController();
  let commit = 0;

  const pass = async (): Promise<Map<string, ObjectStatus>> => {
    const reconciler = new FleetReconciler({ backends, kinds: builtinKinds, dependenciesOf, logger });
    const statuses = await reconciler.apply(desired, { commit: `c${commit++}`, signal: AbortSignal.timeout(60_000) });
    return new Map(statuses.map((s) => [`${s.kind}/${s.name}`, s]));
  };
  /** An out-of-band edit, then wait until the engine's drift cache has it (it arrives by watch). */
  const edit = async (kind: string, name: string, patch: unknown): Promise<void> => {
    const ref = { apiVersion: "v1", kind, namespace: ns.name, name };
    const after = await reader.mergePatch(ref, patch, { fieldManager: "kubectl-edit" });
    const rv = Number(after.metadata.resourceVersion);
    await live.objects.until(() => Number(live.objects.resourceVersion(ref) ?? 0) >= rv);
  };

  beforeAll(async () => {
    client = kubeClient();
    reader = kubeClient();
    const request = client.rest.request.bind(client.rest);
    client.rest.request = ((spec: Parameters<typeof request>[0]) => {
      requests++;
      return request(spec);
    }) as typeof client.rest.request;
    ns = await createTestNamespace(reader, "engine-drift");
    live = new LiveCache(client, { signal: stop.signal, namespace: ns.name });
    backends = createBackends({ kube: client, logger, live, stateNamespace: ns.name });
    const files: Record<string, string> = {
      "bosun.yaml": `apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\ndefaults:\n  namespace: ${ns.name}\n`,
      "settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {level: info, mode: prod}\n",
      "creds.yaml":
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  annotations: {bosun.dev/self-heal: 'false'}\nstringData: {token: s3cret}\n",
    };
    const loaded = loadFleet(Object.entries(files).map(([path, text]) => ({ path, bytes: enc.encode(text) })));
    if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join("\n"));
    desired = loaded;
  });
  afterAll(async () => {
    stop.abort();
    await live.stopped();
    await ns.cleanup();
    reader.close();
    client.close();
  });

  it("applies, then passes with no request; a hand edit is corrected and recorded per field in the status", async () => {
    const first = await pass();
    expect([...first.values()].map((s) => [s.name, s.phase])).toEqual([
      ["settings", "Ready"],
      ["creds", "Ready"],
    ]);
    requests = 0;
    const quiet = await pass();
    expect(requests).toBe(0);
    expect([...quiet.values()].every((s) => s.drift === undefined)).toBe(true);

    await edit("ConfigMap", "settings", { data: { level: "debug" } });
    const corrected = (await pass()).get("ConfigMap/settings");
    expect(corrected).toMatchObject({
      phase: "Ready",
      drift: [{ pointer: "/data/level", desired: "info", live: "debug" }],
    });
    expect(renderObjectStatus(corrected!, 65_536)).toContain(
      "drift:\n  - pointer: /data/level\n    live: debug\n    desired: info\n",
    );
    expect(
      (await reader.get({ apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "settings" }))?.["data"],
    ).toEqual({ level: "info", mode: "prod" });
  });

  it("with self-heal off a Secret's drift is reported, redacted, and shown by bosun plan", async () => {
    await edit("Secret", "creds", { data: { token: Buffer.from("stolen").toString("base64") } });
    const reported = (await pass()).get("Secret/creds");
    expect(reported).toMatchObject({
      phase: "Skipped",
      drift: [{ pointer: "/data/token", desired: "(redacted)", live: "(redacted)" }],
    });
    const text = renderObjectStatus(reported!, 65_536);
    expect(text).toContain("drift:\n  - pointer: /data/token\n    live: (redacted)\n    desired: (redacted)\n");
    expect(text).not.toContain(Buffer.from("stolen").toString("base64"));
    const plan = await computePlan(
      desired,
      { commit: "c", now: new Date(), backends, kinds: builtinKinds, dependenciesOf, logger },
      AbortSignal.timeout(60_000),
    );
    const out = renderPlanText(plan);
    expect(out).toContain("drift Secret");
    expect(out).toContain("/data/token (redacted) → (redacted)");
    expect(out).not.toContain(Buffer.from("stolen").toString("base64"));
  });
});
