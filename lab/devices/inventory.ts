/**
 * Creates the inventory objects of the simulated fleet (I/O). Idempotent: objects that already
 * exist (same kind, namespace and name) are left alone. Requests go through the client's token
 * bucket; `concurrency` bounds how many are in flight.
 */
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { isKubeApiError } from "../../clients/kubernetes/errors.ts";
import type { Logger } from "../../engine/log/logger.ts";
import { deviceObject } from "./device-object.ts";
import { SimulatorError } from "./errors.ts";
import { DEVICE_API_VERSION, type DeviceKind, type SimDevice } from "./fleet.ts";
import { Pool } from "./pool.ts";

export interface InventoryOptions {
  readonly namespace: string;
  readonly seed: string | number;
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
}

export interface InventoryResult {
  readonly created: number;
  readonly existing: number;
}

async function existingNames(
  client: KubeClient,
  kind: DeviceKind,
  namespace: string,
  signal?: AbortSignal,
): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const page of client.listPages(DEVICE_API_VERSION, kind, {
    namespace,
    limit: 500,
    ...(signal ? { signal } : {}),
  })) {
    for (const o of page.items) names.add(o.metadata.name);
  }
  return names;
}

export async function createInventory(
  client: KubeClient,
  devices: readonly SimDevice[],
  opts: InventoryOptions,
): Promise<InventoryResult> {
  const { namespace, signal } = opts;
  const kinds = [...new Set(devices.map((d) => d.kind))];
  const existing = new Map<DeviceKind, Set<string>>();
  try {
    for (const kind of kinds) existing.set(kind, await existingNames(client, kind, namespace, signal));
  } catch (err) {
    throw new SimulatorError("InventoryFailed", `listing existing devices in ${namespace} failed`, { cause: err });
  }
  const missing = devices.filter((d) => existing.get(d.kind)?.has(d.name) !== true);
  const pool = new Pool(opts.concurrency ?? 16);
  let created = 0;
  let failure: unknown;
  await Promise.all(
    missing.map((d) =>
      pool.run(async () => {
        if (failure !== undefined || signal?.aborted === true) return;
        try {
          await client.create(deviceObject(d, namespace, opts.seed), {
            fieldManager: "bosun-device-sim",
            ...(signal ? { signal } : {}),
          });
          created++;
        } catch (err) {
          if (isKubeApiError(err) && err.statusCode === 409) return; // created meanwhile: leave it alone
          failure ??= err;
        }
      }),
    ),
  );
  signal?.throwIfAborted();
  if (failure !== undefined)
    throw new SimulatorError("InventoryFailed", `creating devices in ${namespace} failed`, { cause: failure });
  opts.log?.info({ namespace, created, existing: devices.length - missing.length }, "device inventory ready");
  return { created, existing: devices.length - missing.length };
}
