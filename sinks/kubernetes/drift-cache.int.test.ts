/**
 * Drift Kubernetes would agree with, on the real kube-apiserver, through the backend's generic pass
 * with the watch-fed drift cache: resource quantities in another spelling, a Secret written with
 * stringData, empty maps Bosun applied, and cluster-scoped objects whose manifest carries a
 * namespace. After the apply, three unchanged passes report no drift and make no request at all
 * (no GET, no dry run, no write); a hand edit with `kubectl edit` is found from the watch and
 * corrected, or reported with self-heal off, and an edit to the same value in another spelling is
 * not drift.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { refOf, type JsonObject, type ObjectRef } from "../../engine/model/object-ref.ts";
import { backendPass } from "../../engine/reconcile/backend-pass.ts";
import type { Backend, Change } from "../../engine/reconcile/ports.ts";
import { ManagedObjectCache } from "../../sources/kubernetes/managed-objects.ts";
import {
  createTestNamespace,
  kubeClient,
  kubectlEnv,
  restartApiServer,
  type TestNamespace,
} from "../../test/support/kube.ts";
import { kubernetesBackend } from "./backend.ts";

const run = promisify(execFile);
const signal = (): AbortSignal => AbortSignal.timeout(120_000);
const logger = createLogger({ level: "silent" });
const GROUP = "drift.bosun.test";

/** Every request the client sends (watches are streams, not counted), as `METHOD path [dryRun]`. */
function countRequests(client: KubeClient): string[] {
  const seen: string[] = [];
  const request = client.rest.request.bind(client.rest);
  client.rest.request = ((spec: Parameters<typeof request>[0]) => {
    const dry = (spec.query as Record<string, unknown> | undefined)?.["dryRun"] !== undefined ? " dryRun" : "";
    seen.push(`${spec.method} ${spec.path}${dry}`);
    return request(spec);
  }) as typeof client.rest.request;
  return seen;
}

const widgetCrd: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: "Cluster",
    names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", properties: { size: { type: "integer" }, tier: { type: "string" } } },
            },
          },
        },
      },
    ],
  },
};

describe("drift from the watch cache, with Kubernetes semantics, on the real apiserver", () => {
  let client: KubeClient;
  /** A second client, not counted: what the test itself reads. */
  let reader: KubeClient;
  let editDir: string;
  let requests: string[];
  let ns: TestNamespace;
  let editor: string;
  let cache: ManagedObjectCache;
  let backend: Backend;
  const stop = new AbortController();

  const deployment = (
    name: string,
    container: JsonObject,
    spec: JsonObject = {},
    pod: JsonObject = {},
  ): JsonObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns.name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      ...spec,
      template: {
        metadata: { labels: { app: name } },
        spec: { ...pod, containers: [{ name: "main", image: "registry.invalid/app:1", ...container }] },
      },
    },
  });
  let desired: JsonObject[];
  const [quantities, secret, emptyMaps, clusterRole, widget] = [0, 1, 2, 3, 4];

  const pass = async (objects = desired): Promise<Change[]> => {
    const r = await backendPass(backend, objects, {
      prune: true,
      maxDeletionShare: 0.3,
      allowMassDeletion: false,
      signal: signal(),
    });
    return [...r.changes];
  };

  /** `kubectl edit` with an editor that runs `script` on the object (`o`), as a person would by hand. */
  async function kubectlEdit(ref: ObjectRef, script: string): Promise<string> {
    const group = ref.apiVersion.includes("/") ? ref.apiVersion.slice(0, ref.apiVersion.indexOf("/")) : "";
    const target = `${ref.kind.toLowerCase()}${group ? `.${group}` : ""}/${ref.name}`;
    const args = ["edit", "-o", "json", target, ...(ref.namespace ? ["-n", ref.namespace] : [])];
    await run("/usr/bin/kubectl", args, {
      env: { ...kubectlEnv(), KUBE_EDITOR: `${process.execPath} ${editor}`, BOSUN_EDIT: script },
    });
    // Whatever the edit produced, the drift cache has to have seen it (from the watch) before the next pass.
    const live = await reader.get(ref);
    const rv = live?.metadata.resourceVersion ?? "";
    await cache.until(() => Number(cache.resourceVersion(ref) ?? 0) >= Number(rv));
    return rv;
  }

  beforeAll(async () => {
    client = kubeClient();
    reader = kubeClient();
    requests = countRequests(client);
    ns = await createTestNamespace(reader, "drift-cache");
    editDir = await mkdtemp(join(tmpdir(), "bosun-edit-"));
    editor = join(editDir, "editor.cjs");
    await writeFile(
      editor,
      [
        'const fs = require("node:fs");',
        "const file = process.argv[2];",
        'const text = fs.readFileSync(file, "utf8").split("\\n").filter((l) => !l.startsWith("#")).join("\\n");',
        "const o = JSON.parse(text);",
        'new Function("o", process.env.BOSUN_EDIT)(o);',
        "fs.writeFileSync(file, JSON.stringify(o, null, 2));",
      ].join("\n"),
    );
    cache = new ManagedObjectCache(client, { signal: stop.signal, backoff: { minMs: 100, maxMs: 1000 } });
    backend = kubernetesBackend({ client, logger, stateNamespace: ns.name, cache });
    const crd = await backend.sink.apply([widgetCrd], signal());
    expect(crd.map((c) => c.error)).toEqual([undefined]);
    desired = [
      deployment("quantities", {
        resources: { limits: { cpu: "2000m", memory: "1Gi" }, requests: { cpu: 0.2, memory: 536870912 } },
      }),
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "stringdata", namespace: ns.name },
        type: "Opaque",
        stringData: { user: "admin", "config.yaml": "level: info\n" },
        data: { token: "dDBr\nZW4=" },
      },
      deployment("empty-maps", { resources: {}, securityContext: {} }, { strategy: {} }, { securityContext: {} }),
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: `${ns.name}-reader`, namespace: ns.name },
        rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
      },
      {
        apiVersion: `${GROUP}/v1`,
        kind: "Widget",
        metadata: { name: `${ns.name}-w`, namespace: ns.name },
        spec: { size: 3 },
      },
      // The namespace the inventory ConfigMap lives in, declared in the fleet too: the inventory's own
      // write of it must not take Bosun's fields of the fleet object (its digest) away.
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ns.name, labels: { "bosun.dev/test": "true" } } },
    ];
  });
  afterAll(async () => {
    stop.abort();
    await cache.stopped();
    await reader.delete({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", name: `${ns.name}-reader` });
    await reader.delete({ apiVersion: `${GROUP}/v1`, kind: "Widget", name: `${ns.name}-w` });
    await reader.delete({ apiVersion: widgetCrd.apiVersion, kind: widgetCrd.kind, name: widgetCrd.metadata.name });
    await ns.cleanup();
    await rm(editDir, { recursive: true, force: true });
    reader.close();
    client.close();
  });

  it("applies, then three unchanged passes report no drift and make no request", async () => {
    const first = await pass();
    const actions = (changes: Change[]) => new Map(changes.map((c) => [`${c.ref.kind}/${c.ref.name}`, c.action]));
    const all = (action: string) => new Map(desired.map((o) => [`${o["kind"]}/${refOf(o).name}`, action]));
    expect(first.filter((c) => c.error !== undefined)).toEqual([]);
    // The namespace existed (the test made it): configured; the rest is new.
    expect(actions(first)).toEqual(new Map([...all("created"), [`Namespace/${ns.name}`, "configured"]]));
    for (let i = 0; i < 3; i++) {
      requests.length = 0;
      const again = await pass();
      expect(actions(again)).toEqual(all("unchanged"));
      expect(again.map((c) => c.reason)).toEqual(desired.map(() => "in sync"));
      expect(requests).toEqual([]);
    }
    // What the server holds is written its way, so these were real comparisons, not copies.
    const live = (i: number) => reader.get(refOf(desired[i]!));
    const resources = ((await live(quantities))?.["spec"] as { template: { spec: { containers: JsonObject[] } } })
      .template.spec.containers[0]?.["resources"] as { limits: JsonObject; requests: JsonObject };
    expect(resources.limits["cpu"]).toBe("2");
    expect(resources.requests["cpu"]).toBe("200m");
    expect(typeof resources.requests["memory"]).toBe("string");
    expect((await live(secret))?.["stringData"]).toBeUndefined();
    expect(
      ((await live(clusterRole))?.metadata.namespace ?? "") + ((await live(widget))?.metadata.namespace ?? ""),
    ).toBe("");
    expect(cache.stats.lists).toBeGreaterThanOrEqual(5);
  });

  it("a kubectl edit is found from the watch and corrected, without a GET", async () => {
    const q = refOf(desired[quantities]!);
    await kubectlEdit(q, "o.spec.template.spec.containers[0].resources.limits.cpu = '3';");
    await kubectlEdit(
      refOf(desired[emptyMaps]!),
      "o.spec.template.spec.containers[0].image = 'registry.invalid/evil:6';",
    );
    await kubectlEdit(refOf(desired[clusterRole]!), "o.rules[0].verbs = ['*'];");
    await kubectlEdit(refOf(desired[widget]!), "o.spec.size = 30;");
    requests.length = 0;
    const changes = await pass();
    const byName = new Map(changes.map((c) => [c.ref.name, c]));
    expect(byName.get(q.name)).toMatchObject({
      action: "configured",
      reason: "drift corrected: /spec/template/spec/containers/0/resources/limits/cpu",
      fields: [{ pointer: "/spec/template/spec/containers/0/resources/limits/cpu", desired: "2000m", live: "3" }],
    });
    expect(byName.get(`${ns.name}-reader`)).toMatchObject({ action: "configured", reason: "drift corrected: /rules" });
    expect(byName.get(`${ns.name}-w`)).toMatchObject({ action: "configured", reason: "drift corrected: /spec/size" });
    expect(byName.get("empty-maps")).toMatchObject({
      action: "configured",
      reason: "drift corrected: /spec/template/spec/containers/0/image",
    });
    expect(byName.get("stringdata")).toMatchObject({ action: "unchanged" });
    expect(requests.filter((r) => r.startsWith("GET "))).toEqual([]);
    // Per drifted object: the dry run that rules out a server-side no-op, then the forced apply.
    expect(requests.filter((r) => r.startsWith("PATCH ")).length).toBe(8);
    // Corrected: the next passes are quiet again.
    for (let i = 0; i < 2; i++) {
      requests.length = 0;
      expect((await pass()).every((c) => c.action === "unchanged")).toBe(true);
      expect(requests).toEqual([]);
    }
    const live = await reader.get(q);
    expect(
      (live?.["spec"] as { template: { spec: { containers: Array<{ resources: { limits: JsonObject } }> } } }).template
        .spec.containers[0]?.resources.limits["cpu"],
    ).toBe("2");
  });

  it("an edit to the same quantity in another spelling is not drift", async () => {
    const q = refOf(desired[quantities]!);
    const rv = await kubectlEdit(q, "o.spec.template.spec.containers[0].resources.limits.memory = '1073741824';");
    const held = cache.lookup(q);
    expect(held?.metadata.resourceVersion).toBe(rv);
    // Live now spells it the other way (kubectl-edit owns it), and the cache holds that.
    const containers = (held?.["spec"] as { template: { spec: { containers: Array<{ resources: JsonObject }> } } })
      .template.spec.containers;
    expect((containers[0]?.resources["limits"] as JsonObject)["memory"]).toBe("1073741824");
    requests.length = 0;
    const changes = await pass();
    expect(changes.find((c) => c.ref.name === q.name)).toMatchObject({ action: "unchanged", reason: "in sync" });
    expect(requests).toEqual([]);
  });

  it("a field another writer adds inside an empty map Bosun owns is theirs: not drift, and kept", async () => {
    const ref = refOf(desired[emptyMaps]!);
    await kubectlEdit(ref, "o.spec.template.spec.securityContext = { runAsNonRoot: true };");
    requests.length = 0;
    expect((await pass()).find((c) => c.ref.name === ref.name)).toMatchObject({
      action: "unchanged",
      reason: "in sync",
    });
    expect(requests).toEqual([]);
    // What an apply of the desired body would do agrees: the server keeps kubectl-edit's field.
    const dry = await reader.apply(
      { ...(desired[emptyMaps] as JsonObject), metadata: { name: ref.name, namespace: ref.namespace } },
      { fieldManager: "bosun", dryRun: true },
    );
    expect((dry["spec"] as { template: { spec: JsonObject } }).template.spec["securityContext"]).toEqual({
      runAsNonRoot: true,
    });
  });

  it("with self-heal off a Secret's edit is reported per field, values redacted, and left alone", async () => {
    const withAnnotation = structuredClone(desired);
    (withAnnotation[secret]!["metadata"] as JsonObject)["annotations"] = { "bosun.dev/self-heal": "false" };
    expect((await pass(withAnnotation)).find((c) => c.ref.kind === "Secret")?.action).toBe("configured");
    const ref = refOf(desired[secret]!);
    await kubectlEdit(ref, "o.data.user = Buffer.from('root').toString('base64');");
    requests.length = 0;
    const changes = await pass(withAnnotation);
    expect(changes.find((c) => c.ref.kind === "Secret")).toEqual({
      action: "skipped",
      ref,
      reason: "drift (self-heal off): /data/user",
      fields: [{ pointer: "/data/user", desired: "(redacted)", live: "(redacted)" }],
    });
    // One dry run rules out a server-side no-op; nothing is written.
    expect(requests.filter((r) => !r.endsWith("dryRun"))).toEqual([]);
    // While neither Git nor live moves, the verdict stands: the next pass asks nothing.
    requests.length = 0;
    expect((await pass(withAnnotation)).find((c) => c.ref.kind === "Secret")?.action).toBe("skipped");
    expect(requests).toEqual([]);
    // `bosun plan` (the backend's LiveSource) shows it the same way, from the cache.
    expect(await backend.live.diff([withAnnotation[secret]!], signal())).toEqual([
      { state: "drifted", fields: [{ pointer: "/data/user", desired: "(redacted)", live: "(redacted)" }] },
    ]);
    const live = await reader.get(ref);
    expect(Buffer.from(String((live?.["data"] as JsonObject)["user"]), "base64").toString()).toBe("root");
    // Self-heal back on (the annotation gone is a Git change): corrected.
    const healed = (await pass()).find((c) => c.ref.kind === "Secret");
    expect(healed?.action).toBe("configured");
    const after = await reader.get(ref);
    expect((after?.["data"] as JsonObject)["user"]).toBe(Buffer.from("admin").toString("base64"));
  });
  it("follows again after an API server restart (re-watch, or relist on 410 Gone) and still finds the edits", async () => {
    const before = cache.stats.reconnects + cache.stats.gone;
    await restartApiServer();
    const ref = refOf(desired[widget]!);
    // kubectlEdit waits until the cache has the edit: the watch came back (resumed or relisted).
    await kubectlEdit(ref, "o.spec.size = 31;");
    expect(cache.stats.reconnects + cache.stats.gone).toBeGreaterThan(before);
    requests.length = 0;
    expect((await pass()).find((c) => c.ref.name === ref.name)).toMatchObject({
      action: "configured",
      reason: "drift corrected: /spec/size",
    });
    expect(requests.filter((r) => r.startsWith("GET "))).toEqual([]);
  });
});
