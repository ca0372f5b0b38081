import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { EMPTY_INVENTORY, makeInventory, type Inventory, type InventoryEntry } from "../../engine/inventory/index.ts";
import { Labels, MANAGER } from "../../engine/model/device.ts";
import type { ObjectRef } from "../../engine/model/object-ref.ts";
import type { InventoryStore } from "../../engine/reconcile/ports.ts";
import { sinkFailure } from "./classify.ts";

export const INVENTORY_CONFIGMAP = "bosun-inventory";

export interface ConfigMapInventoryStoreOptions {
  readonly client: KubeClient;
  /** Namespace of the ConfigMap (default `bosun-system`); created on the first save. */
  readonly namespace?: string;
}

/**
 * The data key of a backend's inventory: `inventory.json` for the backend named `kubernetes` (what
 * clusters already hold), `inventory.<backend>.json` for others.
 */
export function inventoryKey(backend: string): string {
  return backend === "kubernetes" ? "inventory.json" : `inventory.${backend}.json`;
}

/** Each key has its own field manager, so saving one backend's key never removes another's (server-side apply). */
function managerOf(backend: string): string {
  return backend === "kubernetes" ? MANAGER : `${MANAGER}-inventory-${backend}`;
}

const isString = (v: unknown): v is string => typeof v === "string";

/** The stored entries, checked: a damaged inventory is an error, never a smaller inventory (prune decides on it). */
function parse(text: string, key: string): Inventory {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error(`${key} is not a JSON array`);
  return makeInventory(
    value.map((e: unknown, i): InventoryEntry => {
      const fields = (typeof e === "object" && e !== null ? e : {}) as Record<string, unknown>;
      const { apiVersion, kind, namespace, name } = fields;
      const refOk = isString(apiVersion) && isString(kind) && isString(name);
      if (!refOk || !(namespace === undefined || isString(namespace))) {
        throw new Error(`${key}[${i}] is not an object reference`);
      }
      return { apiVersion, kind, namespace: namespace ?? "", name };
    }),
  );
}

/**
 * The inventory of every backend in one ConfigMap (`bosun-system/bosun-inventory`), one data key
 * per backend, read once and then kept in memory (this engine is its only writer). Failures throw
 * a typed SinkError.
 */
export class ConfigMapInventoryStore implements InventoryStore {
  private readonly cache = new Map<string, Inventory>();
  private readonly ref: ObjectRef;
  private namespaceReady = false;

  constructor(private readonly opts: ConfigMapInventoryStoreOptions) {
    const namespace = opts.namespace ?? "bosun-system";
    this.ref = { apiVersion: "v1", kind: "ConfigMap", namespace, name: INVENTORY_CONFIGMAP };
  }

  async load(backend: string, signal: AbortSignal): Promise<Inventory> {
    signal.throwIfAborted();
    const cached = this.cache.get(backend);
    if (cached) return cached;
    try {
      const cm = await this.opts.client.get(this.ref, signal);
      const data = cm?.["data"];
      const key = inventoryKey(backend);
      const text = typeof data === "object" && data !== null ? (data as Record<string, unknown>)[key] : undefined;
      const inventory = typeof text === "string" && text !== "" ? parse(text, key) : EMPTY_INVENTORY;
      this.cache.set(backend, inventory);
      return inventory;
    } catch (err) {
      if (signal.aborted) throw err;
      throw sinkFailure(this.ref, err, "inventory not read: ").error;
    }
  }

  async save(backend: string, inventory: Inventory, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const { client } = this.opts;
    const labels = { [Labels.managedBy]: MANAGER };
    try {
      if (!this.namespaceReady) {
        const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: this.ref.namespace, labels } };
        // Its own field manager: when the fleet declares this Namespace too, this apply (labels only)
        // must not take away the fields Bosun's apply of the fleet object owns (its digest annotation).
        await client.apply(namespace, { fieldManager: `${MANAGER}-inventory`, signal });
        this.namespaceReady = true;
      }
      await client.apply(
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: this.ref.name, namespace: this.ref.namespace, labels },
          data: { [inventoryKey(backend)]: JSON.stringify(inventory.entries) },
        },
        { fieldManager: managerOf(backend), force: true, signal },
      );
      this.cache.set(backend, inventory);
    } catch (err) {
      if (signal.aborted) throw err;
      throw sinkFailure(this.ref, err, "inventory not saved: ").error;
    }
  }
}
