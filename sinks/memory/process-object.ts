import type { LiveProcess } from "../../engine/kinds/device-process/live-process.ts";
import { Labels } from "../../engine/model/device.ts";
import type { JsonObject } from "../../engine/model/object-ref.ts";

/** A DeviceProcess as the API would return it for a LiveProcess (the inverse of `toLiveProcess`). */
export function processObject(namespace: string, deployment: string, p: LiveProcess): JsonObject {
  const conditions: JsonObject[] =
    p.healthy === undefined
      ? []
      : [{ type: "Healthy", status: p.healthy ? "True" : "False", message: p.healthy ? "" : (p.reason ?? "") }];
  return {
    apiVersion: "azure.com/v1alpha1",
    kind: "DeviceProcess",
    metadata: {
      name: p.name,
      namespace,
      generation: 2,
      labels: {
        [Labels.device]: p.device,
        [Labels.deployment]: deployment,
        ...(p.revision !== undefined ? { [Labels.revision]: p.revision } : {}),
      },
    },
    status: {
      ...(p.observed ? { observedGeneration: 2 } : {}),
      ...(p.phase !== undefined ? { phase: p.phase } : {}),
      conditions,
      restartCount: p.restartCount,
      ...(p.reason !== undefined && p.healthy !== false ? { lastTerminationReason: p.reason } : {}),
    },
  };
}
