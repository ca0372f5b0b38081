import schema from "../../../schemas/EdgeWorkload.json" with { type: "json" };
import { checkSelector, diagnosticAt, field, type CheckContext } from "../../desired/check-context.ts";
import { DiagnosticCode, type Diagnostic } from "../../model/diagnostic.ts";
import type { JsonObject } from "../../model/object-ref.ts";
import type { KindRegistration } from "../registration.ts";
import { EdgeWorkloadController } from "./controller.ts";

/** Exactly one of fleet / deviceSelector; wave names unique; a wave without selector and limit last. */
function checkWorkload(body: JsonObject, ctx: CheckContext): Diagnostic[] {
  const spec = field(body, "spec");
  const out = checkSelector(ctx, spec["deviceSelector"], "/spec/deviceSelector");
  const hasFleet = spec["fleet"] !== undefined;
  const hasSelector = spec["deviceSelector"] !== undefined;
  if (hasFleet === hasSelector)
    out.push(
      diagnosticAt(
        ctx,
        "/spec",
        DiagnosticCode.InvalidValue,
        hasFleet
          ? "set spec.fleet or spec.deviceSelector, not both: a fleet's devices take their applications from the fleet's template"
          : "set spec.fleet (the Flightctl fleet whose template gets the applications) or spec.deviceSelector (devices outside any fleet)",
      ),
    );
  const waves = (field(spec, "strategy")["waves"] ?? []) as Record<string, unknown>[];
  const seen = new Set<string>();
  waves.forEach((w, i) => {
    const name = String(w["name"]);
    if (seen.has(name))
      out.push(
        diagnosticAt(
          ctx,
          `/spec/strategy/waves/${i}/name`,
          DiagnosticCode.DuplicateWave,
          `wave ${name} is declared twice`,
        ),
      );
    seen.add(name);
    out.push(...checkSelector(ctx, w["selector"], `/spec/strategy/waves/${i}/selector`));
    if (w["selector"] === undefined && w["limit"] === undefined && i < waves.length - 1)
      out.push(
        diagnosticAt(
          ctx,
          `/spec/strategy/waves/${i}`,
          DiagnosticCode.WaveOrder,
          `wave ${name} has no selector and no limit, so it takes every remaining device and must be the last wave`,
        ),
      );
  });
  return out;
}

/**
 * Pod-like containers on Flightctl-managed edge devices (seed 002): in a fleet's template (Flightctl
 * rolls the batches out, Bosun gates them with Git approvals) or on the devices a selector picks
 * outside any fleet (Bosun rolls them out). Applied by the `flightctl` backend.
 */
export const edgeWorkloadKind: KindRegistration = {
  apiVersion: "fleet.bosun.dev/v1alpha1",
  kind: "EdgeWorkload",
  namespaced: true,
  role: "applied",
  schema,
  backend: "flightctl",
  check: checkWorkload,
  disruption: { of: "restart", fields: [/^\/spec\/containers(\/|$)/] },
  controller: (backend, options) => new EdgeWorkloadController(backend, options),
};
