/**
 * Validates rendered Cluster API objects against the CRDs the management cluster serves (their
 * openAPIV3Schema, strict like `kubectl --validate=strict`), before anything is applied (pure: the
 * CRDs are passed in).
 */
import { strictify } from "../../desired/crd-schemas.ts";
import { schemaDiagnostics } from "../../desired/schema-errors.ts";
import { compileCrdSchema, type ValidateFunction } from "../../desired/validators.ts";
import { DiagnosticCode, type Diagnostic } from "../../model/diagnostic.ts";
import type { JsonObject } from "../../model/object-ref.ts";
import { kindId } from "../kind-registry.ts";
import type { RenderedObject } from "./render.ts";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Validators of the kinds some CRDs define, keyed by `apiVersion|kind` (only served versions). */
export class CrdValidators {
  private readonly byKind = new Map<string, ValidateFunction | undefined>();
  /** `group|kind` → served versions, to say which version to use instead. */
  private readonly versions = new Map<string, string[]>();

  constructor(crds: readonly JsonObject[]) {
    for (const crd of crds) {
      const spec = isObject(crd["spec"]) ? crd["spec"] : {};
      const group = spec["group"];
      const kind = isObject(spec["names"]) ? spec["names"]["kind"] : undefined;
      if (typeof group !== "string" || typeof kind !== "string") continue;
      for (const v of Array.isArray(spec["versions"]) ? spec["versions"] : []) {
        if (!isObject(v) || v["served"] !== true || typeof v["name"] !== "string") continue;
        const schema = isObject(v["schema"]) ? v["schema"]["openAPIV3Schema"] : undefined;
        this.byKind.set(
          kindId(`${group}/${v["name"]}`, kind),
          isObject(schema) ? compileCrdSchema(strictify(schema) as Json) : undefined,
        );
        const key = `${group}|${kind}`;
        this.versions.set(key, [...(this.versions.get(key) ?? []), v["name"]]);
      }
    }
  }

  has(apiVersion: string, kind: string): boolean {
    return this.byKind.has(kindId(apiVersion, kind));
  }

  validator(apiVersion: string, kind: string): ValidateFunction | undefined {
    return this.byKind.get(kindId(apiVersion, kind));
  }

  servedVersions(apiVersion: string, kind: string): string[] {
    const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.lastIndexOf("/")) : "";
    return this.versions.get(`${group}|${kind}`) ?? [];
  }
}

/**
 * Every problem of the rendered objects against the management cluster's CRDs: a kind it does not
 * serve (at that version), or a field its schema rejects, each at the template's file:line with the
 * object's path. `subject` names the WorkloadCluster (and the management cluster).
 */
export function validateRendered(
  objects: readonly RenderedObject[],
  crds: CrdValidators,
  subject: string,
  managementCluster: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of objects) {
    const apiVersion = String(r.object["apiVersion"]);
    const kind = String(r.object["kind"]);
    const name = String((r.object["metadata"] as JsonObject)["name"]);
    const what = `${subject}: rendered ${kind} ${name}`;
    if (!crds.has(apiVersion, kind)) {
      const served = crds.servedVersions(apiVersion, kind);
      out.push({
        file: r.file,
        line: r.line,
        col: r.col,
        pointer: "/apiVersion",
        code: DiagnosticCode.UnknownKind,
        message:
          served.length > 0
            ? `${what}: management cluster ${managementCluster} serves ${kind} only as ${served.join(", ")}, not ${apiVersion}; fix the template's apiVersion`
            : `${what}: management cluster ${managementCluster} has no CRD for ${apiVersion} ${kind}; install its provider there or fix the template`,
      });
      continue;
    }
    const validate = crds.validator(apiVersion, kind);
    if (validate && !validate(r.parsed.value)) {
      out.push(...schemaDiagnostics(validate.errors ?? [], r.parsed, r.file, what));
    }
  }
  return out;
}
