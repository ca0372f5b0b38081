import { DiagnosticCode, type Diagnostic } from "../model/diagnostic.ts";
import { BUILTIN_VARIABLES, templateVariables } from "../kinds/workload-cluster/template-variables.ts";
import { decodeUtf8 } from "./parse-yaml.ts";
import { locate } from "./locate.ts";
import type { ParsedDocument } from "./parse-yaml.ts";

type Json = Record<string, unknown>;

export interface CheckContext {
  readonly file: string;
  readonly parsed: ParsedDocument;
  readonly subject: string;
  /** Repo files by path, for references such as cluster templates. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

function at(ctx: CheckContext, pointer: string, code: Diagnostic["code"], message: string): Diagnostic {
  const pos = locate(ctx.parsed, pointer);
  return { file: ctx.file, line: pos.line, col: pos.col, pointer, code, message: `${ctx.subject}: ${message}` };
}

function obj(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

/** In/NotIn need values; Exists/DoesNotExist must have none (as Kubernetes requires). */
function checkSelector(ctx: CheckContext, selector: unknown, pointer: string, out: Diagnostic[]): void {
  const exprs = obj(selector)["matchExpressions"];
  if (!Array.isArray(exprs)) return;
  exprs.forEach((e, i) => {
    const op = obj(e)["operator"];
    const values = obj(e)["values"];
    const count = Array.isArray(values) ? values.length : 0;
    const p = `${pointer}/matchExpressions/${i}`;
    if ((op === "In" || op === "NotIn") && count === 0) out.push(at(ctx, p, DiagnosticCode.InvalidValue, `selector operator ${op} needs at least one value`));
    if ((op === "Exists" || op === "DoesNotExist") && count > 0) out.push(at(ctx, `${p}/values`, DiagnosticCode.InvalidValue, `selector operator ${op} takes no values`));
  });
}

function checkDeployment(ctx: CheckContext, body: Json, out: Diagnostic[]): void {
  const spec = obj(body["spec"]);
  checkSelector(ctx, spec["selector"], "/spec/selector", out);
  const waves = Array.isArray(spec["waves"]) ? spec["waves"] : [];
  const names = new Map<string, number>();
  waves.forEach((w, i) => {
    const wave = obj(w);
    const name = String(wave["name"]);
    const first = names.get(name);
    if (first !== undefined) out.push(at(ctx, `/spec/waves/${i}/name`, DiagnosticCode.DuplicateWave, `wave ${JSON.stringify(name)} is defined twice (waves ${first} and ${i}); wave names must be unique`));
    else names.set(name, i);
    if (wave["selector"] === undefined && i !== waves.length - 1) {
      out.push(at(ctx, `/spec/waves/${i}`, DiagnosticCode.WaveOrder, `wave ${JSON.stringify(name)} has no selector, so it takes every remaining device; it must be the last wave`));
    }
    checkSelector(ctx, wave["selector"], `/spec/waves/${i}/selector`, out);
  });
}

function checkWorkloadCluster(ctx: CheckContext, body: Json, out: Diagnostic[]): void {
  const spec = obj(body["spec"]);
  const template = spec["template"];
  if (typeof template !== "string") return;
  const bytes = ctx.files.get(template);
  if (!bytes) {
    out.push(at(ctx, "/spec/template", DiagnosticCode.TemplateNotFound, `cluster template ${JSON.stringify(template)} is not in the repo; commit it or fix the path`));
    return;
  }
  const text = decodeUtf8(bytes);
  if (text === undefined) {
    out.push(at(ctx, "/spec/template", DiagnosticCode.NotUtf8, `cluster template ${JSON.stringify(template)} is not valid UTF-8`));
    return;
  }
  const given = obj(spec["variables"]);
  const missing = templateVariables(text)
    .filter((v) => v.default === undefined && given[v.name] === undefined && !(BUILTIN_VARIABLES as readonly string[]).includes(v.name))
    .map((v) => v.name);
  if (missing.length > 0) {
    out.push(at(ctx, "/spec/variables", DiagnosticCode.MissingVariable, `cluster template ${template} needs ${missing.join(", ")}; set them under spec.variables`));
  }
}

/** Rules a JSON Schema cannot express, per Bosun kind. Runs only on schema-valid documents. */
export function semanticChecks(kind: string, body: Json, ctx: CheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (kind === "DeviceProcessDeployment") checkDeployment(ctx, body, out);
  else if (kind === "WorkloadCluster") checkWorkloadCluster(ctx, body, out);
  else if (kind === "EdgeWorkload") checkSelector(ctx, obj(body["spec"])["deviceSelector"], "/spec/deviceSelector", out);
  else if (kind === "FARAgent") checkSelector(ctx, obj(obj(body["spec"])["microvm"])["hostSelector"], "/spec/microvm/hostSelector", out);
  return out;
}
