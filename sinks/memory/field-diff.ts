import { canonicalJson } from "../../engine/kinds/canonical-json.ts";
import type { ChangedField } from "../../engine/model/change.ts";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const escape = (key: string): string => key.replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * The fields desired sets that live holds otherwise, as JSON pointers (objects compared by key,
 * arrays and scalars as a whole), sorted. What live has beyond desired is not a difference.
 */
export function fieldDiff(desired: unknown, live: unknown, at = ""): ChangedField[] {
  if (isObject(desired) && isObject(live)) {
    const out: ChangedField[] = [];
    for (const key of Object.keys(desired).sort()) {
      if (desired[key] === undefined) continue;
      out.push(...fieldDiff(desired[key], live[key], `${at}/${escape(key)}`));
    }
    return out;
  }
  if (canonicalJson(desired) === canonicalJson(live)) return [];
  return [{ pointer: at === "" ? "/" : at, desired, ...(live !== undefined ? { live } : {}) }];
}
