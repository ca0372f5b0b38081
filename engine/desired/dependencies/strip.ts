import type { FleetObject } from "../../model/fleet-object.ts";
import type { JsonObject } from "../../model/object-ref.ts";
import { declaresDependsOn, type KindSchemas } from "./declarations.ts";

/**
 * The object's body as a backend gets it: `spec.dependsOn` is the engine's (resolved against the
 * commit, never sent), so it is dropped on the kinds whose schema declares it and kept on every
 * other kind, where it is the kind's own field. The annotation stays: it is metadata, and shows
 * on the live object what it waited for. Shallow copies; the input is not changed.
 */
export function withoutDependsOn(object: FleetObject, kinds: KindSchemas): JsonObject {
  const spec = object.body["spec"];
  if (typeof spec !== "object" || spec === null || !("dependsOn" in spec)) return object.body;
  if (!declaresDependsOn(kinds, object.apiVersion, object.kind)) return object.body;
  const { dependsOn: _engineOnly, ...rest } = spec as JsonObject;
  return { ...object.body, spec: rest };
}
