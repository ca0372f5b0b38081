import type { FieldDiff } from "../../engine/diff/index.ts";
import type { ChangedField } from "../../engine/model/change.ts";

/** Field differences as a Change or a plan carries them: pointer, desired, live; a Secret's values left out. */
export function changedFields(kind: string, fields: readonly FieldDiff[]): ChangedField[] {
  if (kind === "Secret") return fields.map((f) => ({ pointer: f.pointer }));
  return fields.map((f) => ({
    pointer: f.pointer,
    ...(f.desired !== undefined ? { desired: f.desired } : {}),
    ...(f.live !== undefined ? { live: f.live } : {}),
  }));
}
