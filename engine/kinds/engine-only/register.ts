import approval from "../../../schemas/Approval.json" with { type: "json" };
import bosunConfig from "../../../schemas/BosunConfig.json" with { type: "json" };
import type { KindRegistration } from "../registration.ts";

/** Kinds the engine reads itself and never applies: approvals under approvals/, and bosun.yaml. */
export const engineOnlyKinds: KindRegistration[] = [approval, bosunConfig].map((schema) => {
  const info = schema["x-bosun"] as { apiVersion: string; kind: string; namespaced: boolean };
  return { apiVersion: info.apiVersion, kind: info.kind, namespaced: info.namespaced, role: "engine-only", schema };
});
