import schema from "../../../schemas/FARAgent.json" with { type: "json" };
import { checkSelector, field } from "../../desired/check-context.ts";
import type { KindRegistration } from "../registration.ts";
import { FarAgentController } from "./controller.ts";

/**
 * An autonomous agent in a microVM on a Flintlock host (seed 000). The `flintlock` backend keeps
 * its record (the FARAgent custom resource, with status) and its microVM; the controller drives
 * the lifecycle (active, sleep, resurrect, blocked, force-sleep), placement and recreates.
 */
export const farAgentKind: KindRegistration = {
  apiVersion: "agents.tinkerbell.io/v1alpha1",
  kind: "FARAgent",
  namespaced: true,
  role: "applied",
  schema,
  backend: "flintlock",
  check: (body, ctx) =>
    checkSelector(ctx, field(body, "spec", "microvm")["hostSelector"], "/spec/microvm/hostSelector"),
  disruption: { of: "recreate", fields: [/^\/spec\/(lifecycle|microvm|resourceLimits)(\/|$)/] },
  // Ready once the agent reached its lifecycle state (resurrect ends active).
  health: (live) => {
    const want = String(field(live, "spec", "lifecycle")["state"] ?? "active");
    const current = field(live, "status")["currentState"];
    const ready = current === (want === "resurrect" ? "active" : want);
    return {
      ready,
      reason: ready ? `currentState ${String(current)}` : `currentState ${String(current ?? "none")}, wants ${want}`,
    };
  },
  controller: (backend, options) => new FarAgentController(backend, options),
};
