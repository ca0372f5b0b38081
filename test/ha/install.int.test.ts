/**
 * Issue 16 acceptance: `kubectl kustomize deploy/` (and the two overlays) renders the install;
 * its RBAC is applied to the lab apiserver and everything else passes a server-side dry run; the
 * engine's ServiceAccount gets what the engine needs and no more (SubjectAccessReviews); the
 * engine config it ships is valid; every CRD file of deploy/crds is in the kustomization.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { validateEngineConfig } from "../../app/engine-config.ts";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { JsonObject } from "../../clients/kubernetes/types.ts";
import { kubeClient } from "../support/kube.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");
const SA = "system:serviceaccount:bosun-system:bosun";
const SA_GROUPS = ["system:serviceaccounts", "system:serviceaccounts:bosun-system", "system:authenticated"];
const MANAGER = "bosun-install-test";

async function render(dir: string): Promise<JsonObject[]> {
  const { stdout } = await run("kubectl", ["kustomize", join(root, dir)], { maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(stdout)
    .map((d) => d.toJSON() as JsonObject | null)
    .filter((d): d is JsonObject => d !== null);
}
const kindOf = (o: JsonObject): string => String(o["kind"]);
const nameOf = (o: JsonObject): string => (o["metadata"] as { name: string }).name;
const find = (objs: JsonObject[], kind: string, name: string): JsonObject => {
  const o = objs.find((x) => kindOf(x) === kind && nameOf(x) === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
};
const engineYaml = (objs: JsonObject[]): Record<string, unknown> =>
  parse((find(objs, "ConfigMap", "bosun-engine-config")["data"] as Record<string, string>)["engine.yaml"]!) as Record<
    string,
    unknown
  >;
const container = (objs: JsonObject[]): Record<string, unknown> => {
  const d = find(objs, "Deployment", "bosun-engine") as { spec?: { template?: { spec?: { containers?: unknown[] } } } };
  return d.spec!.template!.spec!.containers![0] as Record<string, unknown>;
};

describe("deploy/ install", () => {
  let client: KubeClient;
  let base: JsonObject[];

  beforeAll(async () => {
    await run("bash", [join(root, "lab/kube/install-kubectl.sh")]);
    client = kubeClient();
    base = await render("deploy");
  }, 300_000);
  afterAll(() => client?.close());

  it("renders the install and its overlays: replicas, shards, probes, resources, Node memory flags", async () => {
    const kinds = new Set(base.map(kindOf));
    for (const k of ["CustomResourceDefinition", "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"])
      expect(kinds).toContain(k);
    for (const k of ["Role", "RoleBinding", "ConfigMap", "Deployment", "Service", "ServiceMonitor"])
      expect(kinds).toContain(k);
    const c = container(base);
    expect(c["command"]).toEqual(["node", "--max-old-space-size=256", "--max-semi-space-size=1", "/app/bosun.mjs"]);
    expect(c["readinessProbe"]).toMatchObject({ httpGet: { path: "/readyz", port: "metrics" } });
    expect(c["livenessProbe"]).toMatchObject({ httpGet: { path: "/healthz", port: "metrics" } });
    expect(c["resources"]).toMatchObject({ requests: { cpu: "250m", memory: "320Mi" }, limits: { memory: "512Mi" } });
    expect(JSON.stringify(c["env"])).toContain("MALLOC_ARENA_MAX");
    const replicas = (objs: JsonObject[]): number =>
      (find(objs, "Deployment", "bosun-engine")["spec"] as { replicas: number }).replicas;
    const shards = (objs: JsonObject[]): number => (engineYaml(objs)["ha"] as { shards: number }).shards;
    expect([replicas(base), shards(base)]).toEqual([2, 1]);
    const single = await render("deploy/overlays/single");
    expect([replicas(single), shards(single)]).toEqual([1, 1]);
    const sharded = await render("deploy/overlays/sharded");
    expect([replicas(sharded), shards(sharded)]).toEqual([3, 3]);
    // The engine config each ships is valid (schemas/EngineConfig.json and the rules beside it).
    for (const objs of [base, single, sharded])
      expect(() => validateEngineConfig({ file: "deploy engine.yaml", value: engineYaml(objs) })).not.toThrow();
  });

  it("lists every committed CRD file of deploy/crds", async () => {
    const listed = (parse(readFileSync(join(root, "deploy/crds/Kustomization"), "utf8")) as { resources: string[] })
      .resources;
    // Files under git only: a CRD someone is still writing is not part of the install yet.
    const { stdout } = await run("git", ["-C", root, "ls-files", "deploy/crds"]);
    const files = stdout
      .split("\n")
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => f.slice("deploy/crds/".length));
    expect(files.length).toBeGreaterThan(5);
    const missing = files.filter((f) => !listed.includes(f));
    expect(missing, "add them to deploy/crds/Kustomization").toEqual([]);
  });

  it("applies to the lab apiserver: RBAC for real, everything else as a server-side dry run", async () => {
    // The Prometheus Operator is not in the lab: a stand-in CRD for ServiceMonitor (schema left open).
    await client.apply(
      {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "servicemonitors.monitoring.coreos.com" },
        spec: {
          group: "monitoring.coreos.com",
          scope: "Namespaced",
          names: {
            plural: "servicemonitors",
            singular: "servicemonitor",
            kind: "ServiceMonitor",
            listKind: "ServiceMonitorList",
          },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            },
          ],
        },
      },
      { fieldManager: MANAGER, force: true },
    );
    await waitEstablished(client, "servicemonitors.monitoring.coreos.com");
    const real = new Set(["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);
    const failures: string[] = [];
    for (const o of base.filter((x) => real.has(kindOf(x)))) {
      await client
        .apply(o, { fieldManager: MANAGER, force: true })
        .catch((e: unknown) => failures.push(`${kindOf(o)}/${nameOf(o)}: ${String(e)}`));
    }
    for (const o of base.filter((x) => !real.has(kindOf(x)))) {
      await client
        .apply(o, { fieldManager: MANAGER, force: true, dryRun: true })
        .catch((e: unknown) => failures.push(`${kindOf(o)}/${nameOf(o)} (dry run): ${String(e)}`));
    }
    expect(failures).toEqual([]);
  });

  it("grants the engine's ServiceAccount what it needs and no more (SubjectAccessReviews)", async () => {
    const allowed: [string, string, string, string?, string?, string?][] = [
      // verb, group, resource, namespace, subresource, name
      ["update", "coordination.k8s.io", "leases", "bosun-system"],
      ["create", "coordination.k8s.io", "leases", "bosun-system"],
      ["delete", "coordination.k8s.io", "leases", "bosun-system"],
      ["list", "coordination.k8s.io", "leases", "infra-system"], // device heartbeats, read only
      ["create", "", "configmaps", "bosun-system"],
      ["patch", "", "configmaps", "bosun-system", "", "bosun-inventory"],
      ["get", "", "configmaps", "bosun-system", "", "bosun-inventory"],
      ["patch", "azure.com", "deviceprocessdeployments", "infra-system"],
      ["patch", "azure.com", "deviceprocessdeployments", "infra-system", "status"],
      ["delete", "azure.com", "deviceprocesses", "infra-system"],
      ["create", "", "events", "infra-system"],
      ["list", "azure.com", "networkswitches", "infra-system"],
    ];
    const denied: [string, string, string, string?, string?, string?][] = [
      ["update", "coordination.k8s.io", "leases", "kube-system"],
      ["update", "coordination.k8s.io", "leases", "infra-system"],
      ["delete", "", "configmaps", "bosun-system", "", "bosun-inventory"],
      ["get", "", "configmaps", "bosun-system", "", "someone-elses"],
      ["patch", "", "configmaps", "infra-system"],
      ["get", "", "secrets", "bosun-system"],
      ["list", "", "secrets", "infra-system"],
      ["create", "", "pods", "bosun-system"],
      ["patch", "apps", "deployments", "bosun-system"],
      ["delete", "azure.com", "networkswitches", "infra-system"],
      ["create", "rbac.authorization.k8s.io", "roles", "infra-system"],
      ["update", "rbac.authorization.k8s.io", "clusterroles", ""],
    ];
    for (const [verb, group, resource, namespace, subresource, name] of allowed) {
      const ok = await eventually(() => can(client, { verb, group, resource, namespace, subresource, name }));
      expect(
        ok,
        `${verb} ${group}/${resource}${subresource ? `/${subresource}` : ""} ${namespace ?? ""} ${name ?? ""}`,
      ).toBe(true);
    }
    for (const [verb, group, resource, namespace, subresource, name] of denied) {
      const ok = await can(client, { verb, group, resource, namespace, subresource, name });
      expect(ok, `${verb} ${group}/${resource} ${namespace ?? ""} ${name ?? ""} must be denied`).toBe(false);
    }
  });

  it("overlays/tenant-clusters adds Kamaji's TenantControlPlanes and reading/deleting Secrets, nothing more", async () => {
    const objs = await render("deploy/overlays/tenant-clusters");
    const added = objs.filter((o) => nameOf(o) === "bosun-engine-tenant-clusters");
    expect(added.map(kindOf).sort()).toEqual(["ClusterRole", "ClusterRoleBinding"]);
    expect(objs.length).toBe(base.length + 2);
    for (const o of added) await client.apply(o, { fieldManager: MANAGER, force: true });
    const probe = (verb: string, group: string, resource: string): Promise<boolean> =>
      can(client, { verb, group, resource, namespace: "tenants" });
    expect(await eventually(() => probe("get", "", "secrets"))).toBe(true);
    expect(await probe("delete", "", "secrets")).toBe(true);
    expect(await probe("create", "kamaji.clastix.io", "tenantcontrolplanes")).toBe(true);
    expect(await probe("create", "", "secrets")).toBe(false);
    expect(await probe("patch", "", "secrets")).toBe(false);
    for (const o of added)
      await client.delete({ apiVersion: String(o["apiVersion"]), kind: kindOf(o), name: nameOf(o) });
  });
});

async function can(
  client: KubeClient,
  attrs: {
    verb: string;
    group: string;
    resource: string;
    namespace?: string | undefined;
    subresource?: string | undefined;
    name?: string | undefined;
  },
): Promise<boolean> {
  const r = await client.rest.request<{ status: { allowed: boolean } }>({
    method: "POST",
    path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: SA,
        groups: SA_GROUPS,
        resourceAttributes: {
          verb: attrs.verb,
          group: attrs.group,
          resource: attrs.resource,
          ...(attrs.namespace ? { namespace: attrs.namespace } : {}),
          ...(attrs.subresource ? { subresource: attrs.subresource } : {}),
          ...(attrs.name ? { name: attrs.name } : {}),
        },
      },
    },
  });
  return r.status.allowed;
}

/** A grant just applied reaches the authorizer through its informers: ask until it is there (10 s). */
async function eventually(probe: () => Promise<boolean>): Promise<boolean> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100)))
    if (await probe()) return true;
  return false;
}

async function waitEstablished(client: KubeClient, name: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const crd = await client.get({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name });
    const conditions =
      ((crd?.["status"] ?? {}) as { conditions?: { type: string; status: string }[] }).conditions ?? [];
    if (conditions.some((c) => c.type === "Established" && c.status === "True")) return;
  }
  throw new Error(`CRD ${name} not established`);
}
