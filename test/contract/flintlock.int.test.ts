/**
 * The sink contract (test/contract/sink-contract.ts) on the Flintlock backend: `MicroVM` objects
 * on a lab flintlockd (simulated provider) over gRPC with mTLS and a Basic token, the inventory in
 * the real kube-apiserver (a ConfigMap in the test's namespace). Flintlock has no update, so an
 * update or a drift correction is a recreate: the microVM's name is its identity, its uid its version.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll } from "vitest";
import { FlintlockClient, type MicroVMSpec } from "../../clients/flintlock/index.ts";
import { KubeClient } from "../../clients/kubernetes/client.ts";
import { createLogger } from "../../engine/log/logger.ts";
import type { JsonObject, ObjectRef } from "../../engine/model/object-ref.ts";
import { startLabHost, type LabHost } from "../../lab/flintlock/index.ts";
import { flintlockBackend, kubernetesRecords, type FlintlockBackend } from "../../sinks/flintlock/index.ts";
import { MANAGED_BY_LABEL, MICROVM_API_VERSION, MICROVM_KIND, toWireSpec } from "../../sinks/flintlock/convert.ts";
import { createTestNamespace, kubeClient } from "../support/kube.ts";
import { sinkContract } from "./sink-contract.ts";

const logger = createLogger({ level: "silent" });
const TOKEN_ENV = "BOSUN_TEST_FLINTLOCK_CONTRACT_TOKEN";
const signal = (): AbortSignal => AbortSignal.timeout(30_000);

function unreachableKube(): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "gone", server: "https://127.0.0.1:1", skipTLSVerify: true }],
    users: [{ name: "nobody", token: "none" }],
    contexts: [{ name: "gone", cluster: "gone", user: "nobody" }],
    currentContext: "gone",
  });
  return new KubeClient(kc);
}

let dir: string;
let host: LabHost;
let client: KubeClient;
let down: KubeClient;
let raw: FlintlockClient;
const made: FlintlockBackend[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-flintlock-contract-"));
  process.env[TOKEN_ENV] = "contract-token";
  host = await startLabHost({
    name: "contract-host",
    provider: "simulated",
    capacity: { vcpu: 64, memoryMiB: 65536 },
    stateDir: dir,
    tcp: "mtls",
    unix: false,
    basicAuthToken: "contract-token",
  });
  raw = new FlintlockClient(host.config({ tokenEnv: TOKEN_ENV }).endpoint, { name: "out-of-band" });
  client = kubeClient();
  down = unreachableKube();
});

afterAll(async () => {
  for (const b of made) b.close();
  raw?.close();
  client?.close();
  down?.close();
  await host?.stop();
  delete process.env[TOKEN_ENV];
  await rm(dir, { recursive: true, force: true });
});

sinkContract("flintlock", async () => {
  const ns = await createTestNamespace(client, "flc");
  const backend = (kube = client, address?: string): FlintlockBackend => {
    const h = host.config({ tokenEnv: TOKEN_ENV });
    const b = flintlockBackend({
      config: { hosts: [address ? { ...h, endpoint: { address } } : h], timeoutMs: 2000, deleteTimeoutMs: 10_000 },
      records: kubernetesRecords({ client: kube, logger, stateNamespace: ns.name }),
      logger,
    });
    made.push(b);
    return b;
  };
  const valid = (name: string, value: string): JsonObject => ({
    apiVersion: MICROVM_API_VERSION,
    kind: MICROVM_KIND,
    metadata: { name, namespace: ns.name, labels: { "bosun.test/contract": "true" } },
    spec: {
      host: "contract-host",
      vcpu: 1,
      memoryInMb: 128,
      kernel: { image: "lab/far-kernel:1", cmdline: { value } },
      rootVolume: { id: `${name}-root`, containerSource: "lab/far-rootfs:1" },
    },
  });
  const live = async (name: string) =>
    (await raw.list({ namespace: ns.name, name }, signal())).filter((v) => v.status?.state !== "DELETING");
  const gone = async (uid: string): Promise<void> => {
    for (let i = 0; i < 400 && (await raw.get(uid, signal())) !== undefined; i++)
      await new Promise((r) => setTimeout(r, 10));
  };
  /** Replaces a microVM out of band (Flintlock has no update): same name, the spec and labels `change` makes. */
  const replace = async (ref: ObjectRef, change: (s: MicroVMSpec) => MicroVMSpec): Promise<void> => {
    const [vm] = await live(ref.name);
    if (!vm?.spec) throw new Error(`no microVM ${ref.name}`);
    await raw.delete(vm.spec.uid ?? "", signal());
    await gone(vm.spec.uid ?? "");
    const { uid: _u, createdAt: _c, ...rest } = vm.spec;
    await raw.create(change(rest), signal());
  };
  const withValue = (s: MicroVMSpec, value: string): MicroVMSpec => ({
    ...s,
    kernel: { ...(s.kernel ?? { image: "" }), cmdline: { ...(s.kernel?.cmdline ?? {}), value } },
  });
  const unmarked = (s: MicroVMSpec): MicroVMSpec => {
    const labels = { ...(s.labels ?? {}) };
    delete labels[MANAGED_BY_LABEL];
    return { ...s, labels };
  };
  return {
    backend: () => backend(),
    unreachable: () => backend(down, "127.0.0.1:1"),
    valid,
    invalid: () => valid("Not_A_Name", "x"),
    valueOf: (o) =>
      ((o["spec"] as { kernel?: { cmdline?: Record<string, string> } } | undefined)?.kernel?.cmdline ?? {})["value"],
    versionOf: (o) => (o["metadata"] as { uid?: string } | undefined)?.uid,
    identityOf: (o) => (o["metadata"] as { name?: string } | undefined)?.name,
    outOfBand: {
      create: async (object) => void (await raw.create(unmarked(toWireSpec(object)), signal())),
      edit: (ref, value) => replace(ref, (s) => withValue(s, value)),
      removeMark: (ref) => replace(ref, unmarked),
      delete: async (ref) => {
        for (const vm of await live(ref.name)) await raw.delete(vm.spec?.uid ?? "", signal());
      },
      names: async () =>
        (await raw.list({ namespace: ns.name }, signal()))
          .filter((v) => v.status?.state !== "DELETING")
          .map((v) => v.spec?.id ?? ""),
    },
    conflict: {
      backend: () => backend(),
      // Another writer replaced it with its own microVM of that name.
      takeOver: (ref, value) => replace(ref, (s) => unmarked(withValue(s, value))),
    },
    cleanup: async () => {
      for (const vm of await raw.list({ namespace: ns.name }, signal())) await raw.delete(vm.spec?.uid ?? "", signal());
      await ns.cleanup();
    },
  };
});
