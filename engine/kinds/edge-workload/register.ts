import schema from "../../../schemas/EdgeWorkload.json" with { type: "json" };
import { checkSelector, field } from "../../desired/check-context.ts";
import type { KindRegistration } from "../registration.ts";

/** Pod-like containers for the devices of a Flightctl fleet (seed 002): validated; its backend comes later. */
export const edgeWorkloadKind: KindRegistration = {
  apiVersion: "fleet.bosun.dev/v1alpha1",
  kind: "EdgeWorkload",
  namespaced: true,
  role: "applied",
  schema,
  check: (body, ctx) => checkSelector(ctx, field(body, "spec")["deviceSelector"], "/spec/deviceSelector"),
  disruption: { of: "restart", fields: [/^\/spec\/containers(\/|$)/] },
};
