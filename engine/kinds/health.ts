import type { JsonObject } from "../model/object-ref.ts";
import type { Health } from "./registration.ts";

interface ConditionLike {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly reason?: unknown;
  readonly message?: unknown;
}

function conditionsOf(live: JsonObject): ConditionLike[] {
  const status = live["status"];
  if (typeof status !== "object" || status === null) return [];
  const conditions = (status as JsonObject)["conditions"];
  return Array.isArray(conditions) ? (conditions as ConditionLike[]) : [];
}

/** Ready when the condition of this type is True (kstatus-style); its reason and message otherwise. */
export function conditionHealth(type: string): (live: JsonObject) => Health {
  return (live) => {
    const c = conditionsOf(live).find((x) => x.type === type);
    if (!c) return { ready: false, reason: `no ${type} condition reported yet` };
    const why = [c.reason, c.message].filter((x) => typeof x === "string" && x !== "").join(": ");
    return c.status === "True"
      ? { ready: true, reason: why || type }
      : { ready: false, reason: `${type} is ${String(c.status)}${why ? ` (${why})` : ""}` };
  };
}

/**
 * The default health of an object without a mapping of its own: a `Ready` condition when it
 * reports one (most controllers do), else existing is enough.
 */
export function defaultHealth(live: JsonObject): Health {
  if (conditionsOf(live).some((c) => c.type === "Ready")) return conditionHealth("Ready")(live);
  return { ready: true, reason: "exists" };
}
