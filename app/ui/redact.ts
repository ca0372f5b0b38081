/**
 * Keeping credentials out of the dashboard. Two layers: drift fields of a Secret lose their values
 * (only the pointer is shown), and every response body is scrubbed of the values it must never carry
 * (the fleet's Secret values, as written and base64-encoded; the engine's own tokens and passwords).
 */
import type { FleetObject } from "../../engine/index.ts";

export interface UiField {
  readonly pointer: string;
  readonly desired?: unknown;
  readonly live?: unknown;
  /** The values were left out: the object is a Secret. */
  readonly redacted?: true;
}

/** A Secret's fields keep their pointers only; other kinds' fields are shown as they are. */
export function redactFields(
  kind: string,
  fields: readonly { pointer: string; desired?: unknown; live?: unknown }[],
): UiField[] {
  if (kind !== "Secret") return fields.map((f) => ({ ...f }));
  return fields.map((f) => ({ pointer: f.pointer, redacted: true }));
}

/** The values of every Secret in the desired state (`data` base64 and decoded, `stringData` plain and encoded). */
export function secretValuesOf(objects: readonly FleetObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (o.kind !== "Secret") continue;
    const data = o.body["data"];
    if (data && typeof data === "object") {
      for (const v of Object.values(data as Record<string, unknown>)) {
        if (typeof v !== "string") continue;
        out.push(v);
        out.push(Buffer.from(v, "base64").toString("utf8"));
      }
    }
    const stringData = o.body["stringData"];
    if (stringData && typeof stringData === "object") {
      for (const v of Object.values(stringData as Record<string, unknown>)) {
        if (typeof v !== "string") continue;
        out.push(v);
        out.push(Buffer.from(v, "utf8").toString("base64"));
      }
    }
  }
  return out;
}

/** Replaces known secret values (4 characters or more) in text by `[redacted]`. */
export class SecretScrubber {
  private fixed: string[] = [];
  private fleet: string[] = [];
  private pattern: RegExp | undefined;

  /** The engine's own secrets (UI token, git password …): kept for the process lifetime. */
  add(...values: (string | undefined)[]): void {
    for (const v of values) if (v !== undefined && v.length >= 4) this.fixed.push(v);
    this.pattern = undefined;
  }

  /** The fleet's Secret values of the current desired state. */
  replace(values: readonly string[]): void {
    this.fleet = values.filter((v) => v.length >= 4);
    this.pattern = undefined;
  }

  scrub(text: string): string {
    if (this.fixed.length === 0 && this.fleet.length === 0) return text;
    if (!this.pattern) {
      const all = [...new Set([...this.fixed, ...this.fleet])].sort((a, b) => b.length - a.length);
      // JSON escapes some characters: match the value as it appears inside a JSON string too.
      const forms = new Set<string>();
      for (const v of all) {
        forms.add(v);
        forms.add(JSON.stringify(v).slice(1, -1));
      }
      this.pattern = new RegExp([...forms].map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
    }
    return text.replace(this.pattern, "[redacted]");
  }
}
