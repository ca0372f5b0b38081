/**
 * Checks data against the `returns` schema of a path in ../shared/specs/proxmox (PVE's JSON-Schema
 * dialect: `optional: 1`, integer/number/string/boolean/null, enums, `[n]` keys, arrays of objects).
 * PVE's JSON encoder writes some integers as strings (`GET /cluster/nextid` answers `"100"`):
 * integer-looking strings pass as integers; booleans may be 0/1.
 */
import { ApiSchema } from "../../lab/proxmox/index.ts";

interface Schema {
  type?: string;
  optional?: number;
  enum?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  minimum?: number | string;
  pattern?: string;
}

let schema: ApiSchema | undefined;

/** Problems of `data` against `returns` of `method template`; empty when it conforms. */
export function returnsProblems(template: string, method: string, data: unknown): string[] {
  schema ??= new ApiSchema();
  const info = schema.endpoint(template, method);
  if (!info) return [`${method} ${template} is not in the spec`];
  const out: string[] = [];
  check(info.returns as Schema, data, `${method} ${template}`, out);
  return out;
}

function propertyOf(props: Record<string, Schema>, key: string): Schema | undefined {
  if (props[key]) return props[key];
  const m = /^([a-z]+)(\d+)$/.exec(key);
  return m ? props[`${m[1]}[n]`] : undefined;
}

function check(s: Schema | undefined, v: unknown, at: string, out: string[]): void {
  if (!s || !s.type) return;
  if (v === null || v === undefined) {
    if (s.type !== "null" && !s.optional) out.push(`${at}: null, want ${s.type}`);
    return;
  }
  switch (s.type) {
    case "integer":
      if (!(Number.isInteger(v) || (typeof v === "string" && /^-?\d+$/.test(v)))) out.push(`${at}: not an integer`);
      break;
    case "number":
      if (typeof v !== "number") out.push(`${at}: not a number`);
      break;
    case "string":
      if (typeof v !== "string") out.push(`${at}: not a string`);
      else if (s.pattern && !new RegExp(`^(?:${s.pattern})$`).test(v)) out.push(`${at}: does not match ${s.pattern}`);
      break;
    case "boolean":
      if (!(typeof v === "boolean" || v === 0 || v === 1)) out.push(`${at}: not a boolean`);
      break;
    case "null":
      out.push(`${at}: want null`);
      break;
    case "array":
      if (!Array.isArray(v)) out.push(`${at}: not an array`);
      else v.forEach((x, i) => check(s.items, x, `${at}[${i}]`, out));
      break;
    case "object": {
      if (typeof v !== "object" || Array.isArray(v)) {
        out.push(`${at}: not an object`);
        break;
      }
      const o = v as Record<string, unknown>;
      const props = s.properties ?? {};
      for (const [k, p] of Object.entries(props))
        if (!k.endsWith("[n]") && !p.optional && !(k in o)) out.push(`${at}.${k}: missing`);
      for (const [k, x] of Object.entries(o)) check(propertyOf(props, k), x, `${at}.${k}`, out);
      break;
    }
  }
  if (s.enum && typeof v === "string" && !s.enum.includes(v)) out.push(`${at}: '${v}' not in ${s.enum.join("|")}`);
}
