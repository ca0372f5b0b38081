import { refOf, type JsonObject, type ObjectRef } from "../../engine/model/object-ref.ts";
import { memoryBackend, MemoryStorage } from "../../sinks/memory/index.ts";
import { sinkContract } from "./sink-contract.ts";

const LABEL = "bosun.test/contract";

const configMap = (name: string, value: string): JsonObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "contract", labels: { [LABEL]: "true" } },
  data: { value },
});

const withValue =
  (value: string) =>
  (body: JsonObject): JsonObject => ({ ...body, data: { value } });

sinkContract("memory", async () => {
  const storage = new MemoryStorage();
  const down = new MemoryStorage();
  down.unreachable = true;
  return {
    backend: () => memoryBackend({ storage }).backend,
    unreachable: () => memoryBackend({ storage: down }).backend,
    valid: configMap,
    invalid: () => configMap("Not_A_Name", "x"),
    valueOf: (live) => ((live["data"] ?? {}) as Record<string, string>)["value"],
    outOfBand: {
      create: async (object) => storage.createOutOfBand(object),
      edit: async (ref: ObjectRef, value) => storage.editOutOfBand(ref, withValue(value)),
      removeMark: async (ref) => storage.removeMarkOutOfBand(ref),
      delete: async (ref) => storage.deleteOutOfBand(ref),
      names: async () => [...storage.objects.values()].map((o) => refOf(o.body).name),
    },
    conflict: {
      backend: () => memoryBackend({ storage, selfHeal: false }).backend,
      takeOver: async (ref, value) => storage.editOutOfBand(ref, withValue(value), "other-controller"),
    },
    cleanup: async () => undefined,
  };
});
