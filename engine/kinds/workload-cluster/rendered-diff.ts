/**
 * A rendered object against its live copy (pure), for `bosun plan`: the fields the render sets
 * that differ live. Fields the server or controllers add (status, defaults) are not compared.
 */
import type { JsonObject } from "../../model/object-ref.ts";

export interface RenderedChange {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** create / update / noop / delete (pruned), move (pivot), drift (a domain), invalid (render problems). */
  readonly action: string;
  readonly fields: readonly { readonly pointer: string; readonly from?: string; readonly to?: string }[];
}

const show = (v: unknown): string => {
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function compare(
  desired: unknown,
  live: unknown,
  pointer: string,
  out: { pointer: string; from?: string; to?: string }[],
): void {
  if (isObject(desired) && isObject(live)) {
    for (const [k, v] of Object.entries(desired)) compare(v, live[k], `${pointer}/${k}`, out);
    return;
  }
  if (JSON.stringify(desired) === JSON.stringify(live)) return;
  out.push({ pointer, ...(live !== undefined ? { from: show(live) } : {}), to: show(desired) });
}

export function renderedDiff(rendered: JsonObject, live: JsonObject | undefined): RenderedChange {
  const meta = rendered["metadata"] as Record<string, unknown>;
  const base = {
    kind: String(rendered["kind"]),
    namespace: String(meta["namespace"] ?? ""),
    name: String(meta["name"]),
  };
  if (!live) return { ...base, action: "create", fields: [] };
  const fields: { pointer: string; from?: string; to?: string }[] = [];
  for (const [k, v] of Object.entries(rendered)) {
    if (k === "apiVersion" || k === "kind" || k === "status") continue;
    if (k === "metadata") {
      const m = v as Record<string, unknown>;
      const lm = (live["metadata"] ?? {}) as Record<string, unknown>;
      compare(m["labels"] ?? {}, lm["labels"] ?? {}, "/metadata/labels", fields);
      compare(m["annotations"] ?? {}, lm["annotations"] ?? {}, "/metadata/annotations", fields);
      continue;
    }
    compare(v, live[k], `/${k}`, fields);
  }
  return { ...base, action: fields.length > 0 ? "update" : "noop", fields };
}
