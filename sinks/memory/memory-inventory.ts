import { EMPTY_INVENTORY, type Inventory } from "../../engine/inventory/index.ts";
import type { InventoryStore } from "../../engine/reconcile/ports.ts";
import { unreachable } from "./failure.ts";
import type { MemoryStorage } from "./storage.ts";

/** Inventories per backend name, kept in the storage (so they outlive a backend instance, as a restart does). */
export class MemoryInventoryStore implements InventoryStore {
  constructor(private readonly storage: MemoryStorage) {}

  async load(backend: string, signal: AbortSignal): Promise<Inventory> {
    signal.throwIfAborted();
    if (this.storage.unreachable) throw unreachable(`inventory of ${backend}`);
    return this.storage.inventories.get(backend) ?? EMPTY_INVENTORY;
  }

  async save(backend: string, inventory: Inventory, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.storage.unreachable) throw unreachable(`inventory of ${backend}`);
    this.storage.inventories.set(backend, inventory);
  }
}
