import schema from "../../../schemas/FARAgent.json" with { type: "json" };
import { checkSelector, field } from "../../desired/check-context.ts";
import type { KindRegistration } from "../registration.ts";

/**
 * An autonomous agent in a Firecracker microVM (seed 000). Applied as a custom resource until the
 * Flintlock backend takes it over; a change to its VM recreates the VM.
 */
export const farAgentKind: KindRegistration = {
  apiVersion: "agents.tinkerbell.io/v1alpha1",
  kind: "FARAgent",
  namespaced: true,
  role: "applied",
  schema,
  backend: "kubernetes",
  check: (body, ctx) =>
    checkSelector(ctx, field(body, "spec", "microvm")["hostSelector"], "/spec/microvm/hostSelector"),
  disruption: { of: "recreate", fields: [/^\/spec\/(lifecycle|microvm|resourceLimits)(\/|$)/] },
};
