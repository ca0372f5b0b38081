/**
 * lab/capi: a stand-in for the Cluster API core controllers (Go; they cannot run here) and the CRDs
 * a lab management cluster needs. See lab/capi/README.md for what it does and does not do.
 */
export {
  CapiLab,
  type CapiLabOptions,
  CLUSTER_NAME_LABEL,
  DEPLOYMENT_NAME_LABEL,
  CONTROL_PLANE_NAME_LABEL,
  TEMPLATE_HASH_LABEL,
} from "./controller.ts";
export { installManagementCrds, managementCrdFiles, specsDir } from "./crds.ts";
