import type { Json, JsonObject as DiffJson } from "../../engine/diff/index.ts";
import { InvalidObjectError } from "../../clients/kubernetes/errors.ts";

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** JSON as JSON.parse gives it: null, booleans, finite numbers, strings, arrays and plain objects of those. */
function isJson(v: unknown): v is Json {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v);
    case "object":
      if (v === null) return true;
      if (Array.isArray(v)) return v.every(isJson);
      return isPlainObject(v) && Object.values(v).every(isJson);
    default:
      return false;
  }
}

function isJsonObject(o: Readonly<Record<string, unknown>>): o is DiffJson {
  return isPlainObject(o) && Object.values(o).every(isJson);
}

/** A JSON copy of `v` without undefined object members (JSON.stringify drops them); throws on what JSON cannot hold. */
function copyJson(v: unknown, at: string, subject: string): Json | undefined {
  if (v === undefined) return undefined;
  if (isJson(v)) return v;
  if (Array.isArray(v)) return v.map((x, i) => copyJson(x, `${at}/${i}`, subject) ?? null);
  if (typeof v === "object" && v !== null) return copyObject(v, at, subject);
  throw notJson(at, subject, v);
}

function copyObject(v: object, at: string, subject: string): DiffJson {
  if (!isPlainObject(v)) throw notJson(at, subject, v);
  const out: DiffJson = {};
  for (const [k, x] of Object.entries(v)) {
    const c = copyJson(x, `${at}/${k}`, subject);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

function notJson(at: string, subject: string, v: unknown): InvalidObjectError {
  const what = typeof v === "object" && v !== null ? (v.constructor?.name ?? "object") : typeof v;
  return new InvalidObjectError(subject, `not JSON at ${at === "" ? "/" : at}: ${what}`);
}

/**
 * The checked converter from an object as the ports and the client carry it (values `unknown`) to
 * the JSON the diff works on. Objects from YAML or the API pass as they are (one walk, no copy);
 * undefined members are dropped (a copy); anything JSON cannot hold is an InvalidObjectError.
 */
export function diffJsonOf(o: Readonly<Record<string, unknown>>, subject: string): DiffJson {
  if (isJsonObject(o)) return o;
  return copyObject(o, "", subject);
}
