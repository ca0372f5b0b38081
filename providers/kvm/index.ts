/** The KVM infrastructure provider for Cluster API (see docs/kvm-provider.md): entry point and public pieces. */
export { main, PROVIDER_VERSION } from "./main.ts";
export { domainName, parseProviderID, providerID } from "./naming.ts";
export {
  CLUSTER_FINALIZER,
  DOMAIN_READY,
  INFRA_API_VERSION,
  MACHINE_FINALIZER,
  PAUSED_ANNOTATION,
  Reason,
} from "./model.ts";
export { parseSize } from "./quantity.ts";
