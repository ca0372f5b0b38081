import { deviceProcessKind } from "./device-process/register.ts";
import { deviceProcessDeploymentKind } from "./device-process-deployment/register.ts";
import { edgeWorkloadKind } from "./edge-workload/register.ts";
import { engineOnlyKinds } from "./engine-only/register.ts";
import { farAgentKind } from "./far-agent/register.ts";
import { inventoryKinds } from "./inventory/register.ts";
import { KindRegistry } from "./kind-registry.ts";
import { tenantClusterKind } from "./tenant-cluster/register.ts";
import { workloadClusterKind } from "./workload-cluster/register.ts";

/** Every kind Bosun ships: the one place a new kind is registered. */
export const builtinKinds = new KindRegistry([
  deviceProcessDeploymentKind,
  deviceProcessKind,
  farAgentKind,
  tenantClusterKind,
  workloadClusterKind,
  edgeWorkloadKind,
  ...inventoryKinds,
  ...engineOnlyKinds,
]);
