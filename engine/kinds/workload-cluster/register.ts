import schema from "../../../schemas/WorkloadCluster.json" with { type: "json" };
import { diagnosticAt, field, type CheckContext } from "../../desired/check-context.ts";
import { decodeUtf8 } from "../../desired/parse-yaml.ts";
import { DiagnosticCode, type Diagnostic } from "../../model/diagnostic.ts";
import type { JsonObject } from "../../model/object-ref.ts";
import type { KindRegistration } from "../registration.ts";
import { BUILTIN_VARIABLES, templateVariables } from "./template-variables.ts";

/** The cluster template must be in the repo, and every variable without a default must be set. */
function checkTemplate(body: JsonObject, ctx: CheckContext): Diagnostic[] {
  const spec = field(body, "spec");
  const template = spec["template"];
  if (typeof template !== "string") return [];
  const bytes = ctx.files.get(template);
  if (!bytes) {
    const message = `cluster template ${JSON.stringify(template)} is not in the repo; commit it or fix the path`;
    return [diagnosticAt(ctx, "/spec/template", DiagnosticCode.TemplateNotFound, message)];
  }
  const text = decodeUtf8(bytes);
  if (text === undefined) {
    return [
      diagnosticAt(
        ctx,
        "/spec/template",
        DiagnosticCode.NotUtf8,
        `cluster template ${JSON.stringify(template)} is not valid UTF-8`,
      ),
    ];
  }
  const given = field(spec, "variables");
  const builtin: readonly string[] = BUILTIN_VARIABLES;
  const missing = templateVariables(text)
    .filter((v) => v.default === undefined && given[v.name] === undefined && !builtin.includes(v.name))
    .map((v) => v.name);
  if (missing.length === 0) return [];
  const message = `cluster template ${template} needs ${missing.join(", ")}; set them under spec.variables`;
  return [diagnosticAt(ctx, "/spec/variables", DiagnosticCode.MissingVariable, message)];
}

/**
 * A Cluster API workload cluster from a clusterctl template in the repo (seed 003): validated; its backend comes
 * later.
 */
export const workloadClusterKind: KindRegistration = {
  apiVersion: "fleet.bosun.dev/v1alpha1",
  kind: "WorkloadCluster",
  namespaced: true,
  role: "applied",
  schema,
  check: checkTemplate,
  templateFiles: (body) => {
    const template = field(body, "spec")["template"];
    return typeof template === "string" ? [template] : [];
  },
};
