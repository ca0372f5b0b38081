import bmc from "../../../schemas/BMC.json" with { type: "json" };
import dpu from "../../../schemas/DPU.json" with { type: "json" };
import networkSwitch from "../../../schemas/NetworkSwitch.json" with { type: "json" };
import server from "../../../schemas/Server.json" with { type: "json" };
import soc from "../../../schemas/SOC.json" with { type: "json" };
import type { KindRegistration } from "../registration.ts";

/** The device inventory kinds (seed 004): read from the cluster, never written by Bosun. */
export const inventoryKinds: KindRegistration[] = [bmc, dpu, networkSwitch, server, soc].map((schema) => {
  const info = schema["x-bosun"] as { apiVersion: string; kind: string; namespaced: boolean };
  return { apiVersion: info.apiVersion, kind: info.kind, namespaced: info.namespaced, role: "inventory", schema };
});
