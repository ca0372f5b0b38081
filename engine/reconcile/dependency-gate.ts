import { defaultHealth } from "../kinds/health.ts";
import type { KindRegistry } from "../kinds/kind-registry.ts";
import type { Health } from "../kinds/registration.ts";
import { objectRef, type FleetObject } from "../model/fleet-object.ts";
import { describeRef, refKey, type ObjectRef } from "../model/object-ref.ts";
import type { Backend } from "./ports.ts";

/** An object held back this pass, and why. */
export interface Held {
  readonly object: FleetObject;
  readonly waitingFor: string;
}

export interface GateInput {
  /** Objects that declare dependencies, with their resolved dependencies. */
  readonly dependent: readonly { readonly object: FleetObject; readonly dependsOn: readonly ObjectRef[] }[];
  /** The backend each desired object goes to, by refKey (absent: not reconciled here). */
  readonly backendOf: (ref: ObjectRef) => Backend | undefined;
  readonly kinds: KindRegistry;
  readonly signal: AbortSignal;
}

/**
 * Which objects wait this pass: an object is applied only when every dependency is Ready by its
 * kind's health mapping, read from the dependency's backend (Flux-style: a held object is retried
 * on the next pass). A dependency that is itself held is not Ready. Holds are computed in
 * dependency order, so a chain A → B → C opens one link per pass as each becomes Ready.
 */
export async function gateDependencies(input: GateInput): Promise<Map<string, Held>> {
  const held = new Map<string, Held>();
  if (input.dependent.length === 0) return held;
  const health = await observeHealth(input);
  // Objects whose dependencies are held are held too, whatever their own dependencies' health.
  let changed = true;
  while (changed) {
    changed = false;
    for (const { object, dependsOn } of input.dependent) {
      const key = refKey(object);
      if (held.has(key)) continue;
      for (const dep of dependsOn) {
        const depKey = refKey(dep);
        const why = held.has(depKey) ? `${describeRef(dep)} is waiting itself` : notReady(dep, health.get(depKey));
        if (why === undefined) continue;
        held.set(key, { object, waitingFor: `${objectRef(object)} waits for ${why}` });
        changed = true;
        break;
      }
    }
  }
  return held;
}

function notReady(dep: ObjectRef, h: Health | undefined): string | undefined {
  if (h === undefined) return `${describeRef(dep)}, which does not exist yet`;
  return h.ready ? undefined : `${describeRef(dep)} to be Ready (${h.reason})`;
}

/** The health of every dependency, observed once per backend in one batch. */
async function observeHealth(input: GateInput): Promise<Map<string, Health | undefined>> {
  const byBackend = new Map<Backend, Map<string, ObjectRef>>();
  for (const { dependsOn } of input.dependent) {
    for (const dep of dependsOn) {
      const backend = input.backendOf(dep);
      if (!backend) continue;
      let refs = byBackend.get(backend);
      if (!refs) byBackend.set(backend, (refs = new Map()));
      refs.set(refKey(dep), dep);
    }
  }
  const out = new Map<string, Health | undefined>();
  for (const [backend, refs] of byBackend) {
    const list = [...refs.values()];
    const observed = await backend.sink.observe(list, input.signal);
    list.forEach((ref, i) => {
      const live = observed[i];
      const mapping = input.kinds.get(ref.apiVersion, ref.kind)?.health ?? defaultHealth;
      out.set(refKey(ref), live ? mapping(live.object) : undefined);
    });
  }
  return out;
}
