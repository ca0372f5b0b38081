import schema from "../../../schemas/WorkloadCluster.json" with { type: "json" };
import { diagnosticAt, field, type CheckContext } from "../../desired/check-context.ts";
import { decodeUtf8 } from "../../desired/parse-yaml.ts";
import { DiagnosticCode, type Diagnostic } from "../../model/diagnostic.ts";
import type { JsonObject } from "../../model/object-ref.ts";
import type { KindRegistration } from "../registration.ts";
import { WorkloadClusterController } from "./controller.ts";
import { renderTemplate } from "./render.ts";
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
  if (missing.length > 0) {
    const lines = missing.map((name) => `${name} (${template}:${lineOf(text, name)})`);
    const message = `cluster template ${template} needs ${lines.join(", ")}; set them under spec.variables`;
    return [diagnosticAt(ctx, "/spec/variables", DiagnosticCode.MissingVariable, message)];
  }
  // The rendered template must parse into objects (its CRD schemas are checked against the management cluster).
  const metadata = field(body, "metadata");
  const at = diagnosticAt(ctx, "", DiagnosticCode.InvalidValue, "");
  const rendered = renderTemplate(
    {
      apiVersion: String(body["apiVersion"]),
      kind: String(body["kind"]),
      namespace: typeof metadata["namespace"] === "string" ? metadata["namespace"] : "default",
      name: String(metadata["name"]),
      body,
      source: { file: ctx.file, line: at.line, col: at.col },
    },
    template,
    text,
  );
  return rendered.ok ? [] : [...rendered.diagnostics];
}

function lineOf(text: string, name: string): number {
  const at = text.search(new RegExp(`\\$\\{${name}(?::=[^}]*)?\\}`));
  return at < 0 ? 1 : text.slice(0, at).split("\n").length;
}

/**
 * A Cluster API workload cluster from a clusterctl template in the repo (seed 003). The
 * `workload-cluster` backend keeps its record (with status) and applies the rendered Cluster API
 * objects to its management cluster; the controller renders, validates, applies, prunes, moves and
 * reads status (controller.ts).
 */
export const workloadClusterKind: KindRegistration = {
  apiVersion: "fleet.bosun.dev/v1alpha1",
  kind: "WorkloadCluster",
  namespaced: true,
  role: "applied",
  schema,
  check: checkTemplate,
  backend: "workload-cluster",
  disruption: { of: "recreate", fields: [/^\/spec\/(variables|template)(\/|$)/] },
  // Ready once the Cluster is Provisioned and every control plane / worker replica is up to date and available.
  health: (live) => {
    const status = field(live, "status");
    const ready = status["phase"] === "Ready";
    return {
      ready,
      reason: ready ? "cluster ready" : `phase ${String(status["phase"] ?? "none")}: ${String(status["reason"] ?? "")}`,
    };
  },
  controller: (backend, options) => new WorkloadClusterController(backend, options),
  templateFiles: (body) => {
    const template = field(body, "spec")["template"];
    return typeof template === "string" ? [template] : [];
  },
};
