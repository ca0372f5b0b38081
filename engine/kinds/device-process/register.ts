import schema from "../../../schemas/DeviceProcess.json" with { type: "json" };
import { Labels } from "../../model/device.ts";
import type { KindRegistration } from "../registration.ts";

/** A DeviceProcess pinned to one device (seed 004), applied to Kubernetes for that device's agent. */
export const deviceProcessKind: KindRegistration = {
  apiVersion: "azure.com/v1alpha1",
  kind: "DeviceProcess",
  namespaced: true,
  role: "applied",
  schema,
  backend: "kubernetes",
  // The agent watches its DeviceProcesses by this label.
  labels: (object) => ({
    [Labels.device]: String((object.body["spec"] as { deviceRef: { name: string } }).deviceRef.name),
  }),
  disruption: { of: "restart", fields: [/^\/spec\/(artifact|execution|healthCheck|resources|restartPolicy)(\/|$)/] },
};
