import schema from "../../../schemas/DeviceProcessDeployment.json" with { type: "json" };
import { checkSelector, diagnosticAt, field, type CheckContext } from "../../desired/check-context.ts";
import { DiagnosticCode, type Diagnostic } from "../../model/diagnostic.ts";
import type { JsonObject } from "../../model/object-ref.ts";
import { conditionHealth } from "../health.ts";
import type { KindRegistration } from "../registration.ts";
import { DeploymentController } from "./controller.ts";

/** Wave names are unique; only the last wave may go without a selector (it takes the rest). */
function checkWaves(body: JsonObject, ctx: CheckContext): Diagnostic[] {
  const spec = field(body, "spec");
  const out = checkSelector(ctx, spec["selector"], "/spec/selector");
  const waves = Array.isArray(spec["waves"]) ? spec["waves"] : [];
  const names = new Map<string, number>();
  waves.forEach((w, i) => {
    const wave = field(w);
    const name = String(wave["name"]);
    const first = names.get(name);
    if (first !== undefined) {
      const message = `wave ${JSON.stringify(name)} is defined twice (waves ${first} and ${i}); wave names must be unique`;
      out.push(diagnosticAt(ctx, `/spec/waves/${i}/name`, DiagnosticCode.DuplicateWave, message));
    } else names.set(name, i);
    if (wave["selector"] === undefined && i !== waves.length - 1) {
      const message = `wave ${JSON.stringify(name)} has no selector, so it takes every remaining device; it must be the last wave`;
      out.push(diagnosticAt(ctx, `/spec/waves/${i}`, DiagnosticCode.WaveOrder, message));
    }
    out.push(...checkSelector(ctx, wave["selector"], `/spec/waves/${i}/selector`));
  });
  return out;
}

const progressing = conditionHealth("Progressing");

/**
 * DaemonSet semantics for device processes (seed 004): applied as a custom resource, then rolled
 * out by its controller into one DeviceProcess per matching device, in waves.
 */
export const deviceProcessDeploymentKind: KindRegistration = {
  apiVersion: "azure.com/v1alpha1",
  kind: "DeviceProcessDeployment",
  namespaced: true,
  role: "applied",
  schema,
  backend: "kubernetes",
  check: checkWaves,
  disruption: { of: "restart", fields: [/^\/spec\/template(\/|$)/] },
  // Ready once the rollout of the current spec is complete.
  health: (live) => {
    const status = field(live, "status");
    const meta = field(live, "metadata");
    if (status["observedGeneration"] !== meta["generation"])
      return { ready: false, reason: "the rollout of the current spec has not started" };
    const h = progressing(live);
    return h.ready && h.reason.startsWith("RolloutComplete")
      ? h
      : { ready: false, reason: h.ready ? `rollout ${h.reason}` : h.reason };
  },
  controller: (backend, options) => new DeploymentController(backend, options),
};
