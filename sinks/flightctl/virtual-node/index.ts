/** The virtual node: Pods on Flightctl devices (see virtual-node.ts). */
export { VirtualNode, DEVICE_ANNOTATION, PROVIDER_TAINT, type VirtualNodeOptions } from "./virtual-node.ts";
export { placePod, nodeCapacity, podRequests } from "./placement.ts";
export { podStatus, appNames } from "./pod-status.ts";
