/**
 * The lab Proxmox's reading of the official API schema (`../shared/specs/proxmox/pve-api-qemu-subset.json`,
 * PVE 9.1): routes (path templates → handler info), parameter verification with PVE::JSONSchema's
 * messages, and the `permissions.check` expressions evaluated against a token's or user's privileges.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export interface SchemaProperty {
  readonly type?: string;
  readonly optional?: number;
  readonly format?: string | Record<string, SchemaProperty & { default_key?: number; alias?: string }>;
  readonly enum?: readonly string[];
  readonly minimum?: number | string;
  readonly maximum?: number | string;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly alias?: string;
}

export interface EndpointInfo {
  readonly name: string;
  readonly method: string;
  readonly parameters?: {
    readonly additionalProperties?: number;
    readonly properties?: Readonly<Record<string, SchemaProperty>>;
  };
  readonly returns?: unknown;
  readonly permissions?: { readonly check?: unknown[]; readonly user?: string };
  readonly allowtoken?: number;
  readonly protected?: number;
}

export interface Route {
  readonly template: string;
  readonly info: EndpointInfo;
  readonly pathParams: Record<string, string>;
}

/** `shared/specs` beside the repo (BOSUN_SPECS_DIR, else found walking up from here). */
export function specsDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env["BOSUN_SPECS_DIR"];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  let dir = resolve(import.meta.dirname, "../..");
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "shared", "specs");
    if (existsSync(join(candidate, "proxmox"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error("shared/specs/proxmox not found: set BOSUN_SPECS_DIR to the folder holding the API specs");
}

export class ApiSchema {
  private readonly paths: Record<string, { info?: Record<string, EndpointInfo> }>;
  private readonly templates: { template: string; re: RegExp; names: string[] }[];

  constructor(file = join(specsDir(), "proxmox", "pve-api-qemu-subset.json")) {
    this.paths = (JSON.parse(readFileSync(file, "utf8")) as { paths: ApiSchema["paths"] }).paths;
    this.templates = Object.keys(this.paths).map((template) => {
      const names: string[] = [];
      const re = new RegExp(
        `^${template.replace(/\{([^}]+)\}/g, (_m, n: string) => {
          names.push(n);
          return "([^/]+)";
        })}$`,
      );
      return { template, re, names };
    });
  }

  /** The route for `method path`, `"no-method"` when the path exists without it, undefined when unknown. */
  route(method: string, path: string): Route | "no-method" | undefined {
    let pathKnown = false;
    for (const t of this.templates) {
      const m = t.re.exec(path);
      if (!m) continue;
      pathKnown = true;
      const info = this.paths[t.template]?.info?.[method];
      if (!info) continue;
      const pathParams: Record<string, string> = {};
      t.names.forEach((n, i) => (pathParams[n] = decodeURIComponent(m[i + 1] as string)));
      return { template: t.template, info, pathParams };
    }
    return pathKnown ? "no-method" : undefined;
  }

  /** The schema node of a path template (contract tests read `returns`). */
  endpoint(template: string, method: string): EndpointInfo | undefined {
    return this.paths[template]?.info?.[method];
  }
}

/** Looks up `ipconfig3` under `ipconfig[n]`. */
function propertyOf(props: Readonly<Record<string, SchemaProperty>>, key: string): SchemaProperty | undefined {
  const direct = props[key];
  if (direct) return direct;
  const m = /^([a-z]+)(\d+)$/.exec(key);
  return m ? props[`${m[1]}[n]`] : undefined;
}

/**
 * PVE::JSONSchema's verification: every problem by parameter, with its texts. Values arrive as
 * strings (query or form); the result has integers and booleans converted.
 */
export function verifyParameters(
  info: EndpointInfo,
  raw: Readonly<Record<string, string>>,
): { params: Record<string, string | number>; errors: Record<string, string> } {
  const props = info.parameters?.properties ?? {};
  const errors: Record<string, string> = {};
  const params: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(raw)) {
    const p = propertyOf(props, key);
    if (!p) {
      if (info.parameters?.additionalProperties === 0)
        errors[key] = "property is not defined in schema and the schema does not allow additional properties";
      else params[key] = value;
      continue;
    }
    const problem = checkValue(p, value);
    if (problem) errors[key] = problem;
    else params[key] = p.type === "integer" || p.type === "boolean" ? toNumber(p, value) : value;
  }
  for (const [key, p] of Object.entries(props)) {
    if (key.endsWith("[n]") || p.optional === 1) continue;
    if (raw[key] === undefined && errors[key] === undefined) errors[key] = "property is missing and it is not optional";
  }
  return { params, errors };
}

function toNumber(p: SchemaProperty, v: string): number {
  if (p.type === "boolean") return /^(1|true|on|yes)$/i.test(v) ? 1 : 0;
  return Number(v);
}

function checkValue(p: SchemaProperty, v: string): string | undefined {
  if (p.type === "integer") {
    if (!/^-?\d+$/.test(v)) return `type check ('integer') failed - got '${v}'`;
  } else if (p.type === "number") {
    if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return `type check ('number') failed - got '${v}'`;
  } else if (p.type === "boolean") {
    if (!/^(0|1|true|false|on|off|yes|no)$/i.test(v)) return `type check ('boolean') failed - got '${v}'`;
  }
  if (p.type === "integer" || p.type === "number") {
    const n = Number(v);
    if (p.minimum !== undefined && n < Number(p.minimum)) return `value must have a minimum value of ${p.minimum}`;
    if (p.maximum !== undefined && n > Number(p.maximum)) return `value must have a maximum value of ${p.maximum}`;
  }
  if (p.enum && !p.enum.includes(v))
    return `value '${v}' does not have a value in the enumeration '${p.enum.join(", ")}'`;
  if (p.maxLength !== undefined && v.length > p.maxLength) return `value may only be ${p.maxLength} characters long`;
  if (p.pattern && !new RegExp(`^(?:${p.pattern})$`).test(v)) return "value does not match the regex pattern";
  if (typeof p.format === "string") return checkFormat(p.format, v);
  if (p.format && typeof p.format === "object") return checkPropertyString(p.format, v);
  return undefined;
}

const DNS_LABEL = "[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?";

function checkFormat(format: string, v: string): string | undefined {
  const bad = (what: string): string => `invalid format - value does not look like a valid ${what}`;
  switch (format) {
    case "pve-vmid":
      return /^[1-9]\d{2,8}$/.test(v) ? undefined : bad("VM ID");
    case "pve-node":
      return new RegExp(`^${DNS_LABEL}$`).test(v) ? undefined : bad("node name");
    case "dns-name":
      return new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`).test(v) ? undefined : bad("DNS name");
    case "urlencoded":
      return /^[-%a-zA-Z0-9_.!~*'()]*$/.test(v) ? undefined : `invalid urlencoded string: ${v}`;
    case "pve-configid-list":
      return v.split(/[,;\s]+/).every((k) => k === "" || /^[a-z][a-z_\-0-9]*$/i.test(k)) ? undefined : bad("config id");
    case "pve-configid":
      return /^[a-z][a-z0-9_-]+$/i.test(v) ? undefined : bad("configuration ID");
    case "pve-storage-id":
      return /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(v) ? undefined : bad("storage ID");
    case "pve-qm-ipconfig":
      return checkKeys(v, ["ip", "gw", "ip6", "gw6"]);
    case "pve-qm-cicustom":
      return checkKeys(v, ["meta", "network", "user", "vendor"]) ?? checkVolumes(v);
    case "pve-tag-list":
      return v.split(/[;, ]+/).every((t) => t === "" || /^[a-z0-9_][a-z0-9_\-+.]*$/i.test(t)) ? undefined : bad("tag");
    default:
      return undefined;
  }
}

function checkKeys(v: string, allowed: readonly string[]): string | undefined {
  for (const part of v.split(",")) {
    if (part === "") continue;
    const key = part.split("=")[0] as string;
    if (!part.includes("=") || !allowed.includes(key))
      return `invalid format - format error\n${key}: property is not defined in schema and the schema does not allow additional properties`;
  }
  return undefined;
}

function checkVolumes(v: string): string | undefined {
  for (const part of v.split(",")) {
    const vol = part.split("=")[1] ?? "";
    if (!/^[a-z][a-z0-9\-_.]*[a-z0-9]:.+$/i.test(vol)) return `invalid format - unable to parse volume ID '${vol}'`;
  }
  return undefined;
}

function checkPropertyString(
  format: Record<string, SchemaProperty & { default_key?: number; alias?: string }>,
  v: string,
): string | undefined {
  const defaultKey = Object.entries(format).find(([, f]) => f.default_key === 1)?.[0];
  for (const part of v.split(",")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = eq < 0 ? defaultKey : part.slice(0, eq);
    const value = eq < 0 ? part : part.slice(eq + 1);
    if (!key || !format[key])
      return `invalid format - format error\n${key ?? part}: property is not defined in schema and the schema does not allow additional properties`;
    const problem = checkValue(format[key] as SchemaProperty, value);
    if (problem) return `invalid format - format error\n${key}: ${problem}`;
  }
  return undefined;
}

/**
 * Evaluates a `permissions.check` expression. `has(path, privs, any)` answers whether the caller
 * holds the privileges on the path. Returns the first failing `(path, privilege)` or undefined.
 */
export function evaluateCheck(
  check: readonly unknown[] | undefined,
  params: Readonly<Record<string, string | number>>,
  has: (path: string, priv: string) => boolean,
): { path: string; priv: string } | undefined {
  if (!check || check.length === 0) return undefined;
  const [op, ...rest] = check;
  if (op === "and") {
    for (const c of rest) {
      const f = evaluateCheck(c as unknown[], params, has);
      if (f) return f;
    }
    return undefined;
  }
  if (op === "or") {
    let first: { path: string; priv: string } | undefined;
    for (const c of rest) {
      const sub = c as unknown[];
      if (sub[0] === "perm" && sub.includes("require_param")) {
        const name = sub[sub.indexOf("require_param") + 1] as string;
        if (params[name] === undefined) continue;
      }
      const f = evaluateCheck(sub, params, has);
      if (!f) return undefined;
      first ??= f;
    }
    return first;
  }
  if (op === "perm") {
    const path = (rest[0] as string).replace(/\{([^}]+)\}/g, (_m, n: string) => String(params[n] ?? ""));
    const privs = rest[1] as string[];
    const any = rest[2] === "any";
    const held = privs.filter((p) => has(path, p));
    if (any ? held.length > 0 : held.length === privs.length) return undefined;
    return { path, priv: privs.find((p) => !has(path, p)) as string };
  }
  return undefined; // userid-param, userid-group: not used by the lab's tokens
}
