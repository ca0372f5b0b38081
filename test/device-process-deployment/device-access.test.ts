import { describe, expect, it } from "vitest";
import { loadFleet, type DesiredState } from "../../engine/desired/load-fleet.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { dependenciesOf } from "../../engine/desired/dependencies.ts";
import type { JsonObject } from "../../engine/model/object-ref.ts";
import { FleetReconciler, type PassReport } from "../../engine/reconcile/fleet-reconciler.ts";
import { builtinKinds } from "../../engine/kinds/builtin.ts";
import { memoryBackend, type MemoryBackend } from "../../sinks/memory/index.ts";

const enc = new TextEncoder();

function deployment(name: string, selector: string, env = ""): string {
  return `apiVersion: azure.com/v1alpha1
kind: DeviceProcessDeployment
metadata:
  name: ${name}
  namespace: infra
spec:
  selector:
    matchLabels:
      ${selector}
  template:
    spec:
      artifact:
        type: oci
        url: ghcr.io/apollo/${name}:v1
        checksumSHA256: ${"a".repeat(64)}
        pullSecretRef:
          name: apollo-pull
      execution:
        backend: exec
        command: ["/bin/${name}"]
${env}`;
}

const TELEMETRY_ENV = `        env:
          - name: TOKEN
            valueFrom:
              secretKeyRef:
                name: telemetry-token
                key: token
          - name: LEVEL
            valueFrom:
              configMapKeyRef:
                name: telemetry-config
                key: level
`;

function desired(opts: { rbac: boolean; telemetry: boolean }): DesiredState {
  const files = [
    {
      path: "bosun.yaml",
      bytes: enc.encode(`apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\nagents:\n  rbac: ${opts.rbac}\n`),
    },
    { path: "agent.yaml", bytes: enc.encode(deployment("agent", "role: tor")) },
    ...(opts.telemetry
      ? [{ path: "telemetry.yaml", bytes: enc.encode(deployment("telemetry", "any: x", TELEMETRY_ENV)) }]
      : []),
  ];
  const loaded = loadFleet(files);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded;
}

const signal = (): AbortSignal => new AbortController().signal;

function reconciler(backend: MemoryBackend, incremental: boolean, reports: PassReport[]): FleetReconciler {
  return new FleetReconciler({
    backends: [backend.backend],
    kinds: builtinKinds,
    dependenciesOf,
    logger: createLogger({ level: "silent" }),
    incremental,
    useHeartbeats: false,
    onPass: (r) => reports.push(r),
  });
}

function setup(incremental: boolean): {
  backend: MemoryBackend;
  reconciler: FleetReconciler;
  reports: PassReport[];
  pass: (d: DesiredState) => Promise<PassReport>;
} {
  const backend = memoryBackend({ name: "kubernetes" });
  for (const name of ["tor-1", "tor-2"])
    backend.addDevice({ kind: "NetworkSwitch", name, labels: { role: "tor", any: "x" } });
  backend.addDevice({ kind: "SOC", name: "soc-1", labels: { role: "soc", any: "x" } });
  const reports: PassReport[] = [];
  const r = reconciler(backend, incremental, reports);
  const pass = async (d: DesiredState): Promise<PassReport> => {
    await r.apply(d, { commit: "c1", signal: signal() });
    const last = reports.at(-1);
    if (!last) throw new Error("no pass report");
    return last;
  };
  return { backend, reconciler: r, reports, pass };
}

type Rule = { resources: string[]; resourceNames?: string[]; verbs: string[] };
const rulesOf = (b: MemoryBackend, device: string): Rule[] | undefined =>
  (b.generated.get(`Role/infra/bosun-device-${device}`) as { rules: Rule[] } | undefined)?.rules;
const names = (rules: Rule[] | undefined, resource: string): string[] | undefined =>
  rules?.find((r) => r.resources.includes(resource) && r.resourceNames)?.resourceNames;
const rbacChanges = (r: PassReport): string[] =>
  r.changes
    .filter((c) => c.ref.kind === "Role" || c.ref.kind === "RoleBinding")
    .map((c) => `${c.action} ${c.ref.kind}/${c.ref.name}`);

describe.each([true, false])("per-device agent RBAC (bosun.yaml agents.rbac), incremental=%s", (incremental) => {
  it("gives each device's agent its own DeviceProcesses and references, keeps up with the fleet, and removes only its own leftovers", async () => {
    const { backend, pass } = setup(incremental);
    const managed = { "app.kubernetes.io/managed-by": "bosun", "bosun.dev/device": "gone" };
    const role = (name: string, labels: Record<string, string>): JsonObject => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name, namespace: "infra", labels },
      rules: [],
    });
    await backend.fleet.applyGenerated(
      [role("bosun-device-gone", managed), role("bosun-device-by-hand", { "bosun.dev/device": "by-hand" })],
      signal(),
    );

    const first = await pass(desired({ rbac: true, telemetry: true }));
    expect(names(rulesOf(backend, "tor-1"), "deviceprocesses/status")).toEqual(["agent-tor-1", "telemetry-tor-1"]);
    expect(names(rulesOf(backend, "soc-1"), "deviceprocesses/status")).toEqual(["telemetry-soc-1"]);
    expect(names(rulesOf(backend, "soc-1"), "secrets")).toEqual(["apollo-pull", "telemetry-token"]);
    expect(names(rulesOf(backend, "soc-1"), "configmaps")).toEqual(["telemetry-config"]);
    expect(names(rulesOf(backend, "tor-2"), "secrets")).toEqual(["apollo-pull", "telemetry-token"]);
    expect(backend.generated.get("RoleBinding/infra/bosun-device-tor-1")).toMatchObject({
      subjects: [{ kind: "User", name: "bosun-device:tor-1" }],
      metadata: { labels: { "app.kubernetes.io/managed-by": "bosun" } },
    });
    expect(backend.generated.has("Role/infra/bosun-device-gone")).toBe(false); // Bosun's leftover
    expect(backend.generated.has("Role/infra/bosun-device-by-hand")).toBe(true); // not Bosun's
    expect(rbacChanges(first)).toContain("deleted Role/bosun-device-gone");

    // nothing changed, nothing written
    expect(rbacChanges(await pass(desired({ rbac: true, telemetry: true })))).toEqual([]);

    const shrunk = await pass(desired({ rbac: true, telemetry: false }));
    expect(names(rulesOf(backend, "tor-1"), "deviceprocesses/status")).toEqual(["agent-tor-1"]);
    expect(rulesOf(backend, "soc-1")).toBeUndefined();
    expect(rbacChanges(shrunk).sort()).toEqual([
      "configured Role/bosun-device-tor-1",
      "configured Role/bosun-device-tor-2",
      "deleted Role/bosun-device-soc-1",
      "deleted RoleBinding/bosun-device-soc-1",
      "unchanged RoleBinding/bosun-device-tor-1",
      "unchanged RoleBinding/bosun-device-tor-2",
    ]);
  });

  it("a failure to keep the RBAC does not fail the pass; the next pass catches up", async () => {
    const { backend, pass } = setup(incremental);
    const list = backend.fleet.listLabelled.bind(backend.fleet);
    let forbidden = true;
    backend.fleet.listLabelled = async (...args) => {
      if (forbidden)
        throw new Error(
          'roles.rbac.authorization.k8s.io is forbidden: User "system:serviceaccount:bosun-system:bosun" cannot list resource "roles"',
        );
      return list(...args);
    };
    const first = await pass(desired({ rbac: true, telemetry: false }));
    expect(first.rollouts).toHaveLength(1);
    expect(backend.store.processesIn("infra").length).toBe(2); // the rollout went on
    expect(backend.generated.size).toBe(0);
    forbidden = false;
    await pass(desired({ rbac: true, telemetry: false }));
    expect(names(rulesOf(backend, "tor-1"), "deviceprocesses/status")).toEqual(["agent-tor-1"]);
  });

  it("after an engine restart rewrites only what differs from the cluster", async () => {
    const { backend, pass } = setup(incremental);
    await pass(desired({ rbac: true, telemetry: true }));
    backend.generated.delete("RoleBinding/infra/bosun-device-tor-2"); // someone deleted it meanwhile
    const reports: PassReport[] = [];
    const again = reconciler(memoryBackend({ name: "kubernetes", storage: backend.storage }), incremental, reports);
    await again.apply(desired({ rbac: true, telemetry: true }), { commit: "c2", signal: signal() });
    expect(rbacChanges(reports[0] as PassReport).sort()).toEqual([
      "created RoleBinding/bosun-device-tor-2",
      "unchanged Role/bosun-device-tor-2",
    ]);
  });

  it("writes no RBAC unless bosun.yaml asks for it", async () => {
    const { backend, pass } = setup(incremental);
    expect(rbacChanges(await pass(desired({ rbac: false, telemetry: true })))).toEqual([]);
    expect(backend.generated.size).toBe(0);
  });
});
