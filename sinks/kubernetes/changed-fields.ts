import type { FieldDiff } from "../../engine/diff/index.ts";
import type { ChangedField } from "../../engine/model/change.ts";

/** What stands in for a Secret's value wherever a field difference travels (changes, plan, status). */
export const REDACTED = "(redacted)";

/**
 * Field differences as a Change or a plan carries them: pointer, desired, live. A Secret's values
 * never leave the sink: each present value is replaced by `(redacted)`, so readers still see which
 * side has one.
 */
export function changedFields(kind: string, fields: readonly FieldDiff[]): ChangedField[] {
  if (kind === "Secret")
    return fields.map((f) => ({
      pointer: f.pointer,
      ...(f.desired !== undefined ? { desired: REDACTED } : {}),
      ...(f.live !== undefined ? { live: REDACTED } : {}),
    }));
  return fields.map((f) => ({
    pointer: f.pointer,
    ...(f.desired !== undefined ? { desired: f.desired } : {}),
    ...(f.live !== undefined ? { live: f.live } : {}),
  }));
}
