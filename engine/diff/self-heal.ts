import { isObj } from "./fields-v1.ts";
import { SELF_HEAL_ANNOTATION, type JsonObject } from "./types.ts";

/** Whether drift is corrected: the object's annotation wins, then the kind's setting, then the global one. */
export interface SelfHealPolicy {
  readonly global: boolean;
  readonly kinds?: Readonly<Record<string, boolean>>;
}

export function selfHealEnabled(policy: SelfHealPolicy, desired: JsonObject): boolean {
  const meta = desired["metadata"];
  const ann = isObj(meta) ? meta["annotations"] : undefined;
  const v = isObj(ann) ? ann[SELF_HEAL_ANNOTATION] : undefined;
  if (v === "true") return true;
  if (v === "false") return false;
  const kind = typeof desired["kind"] === "string" ? desired["kind"] : "";
  return policy.kinds?.[kind] ?? policy.global;
}
