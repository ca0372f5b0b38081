export * from "./types.ts";
export { diffObject, ignoreFor } from "./diff.ts";
export {
  canonicalJson,
  desiredDigest,
  isManagedByBosun,
  normalizeObject,
  prepareDesired,
  sameLiveObject,
  SERVER_METADATA,
} from "./normalize.ts";
export { clusterScopedKind, normalizeSecret, quantityStrings, withoutNamespace } from "./kube-semantics.ts";
export { parseQuantity, sameQuantity, type QuantityValue } from "./quantity.ts";
export { selfHealEnabled, type SelfHealPolicy } from "./self-heal.ts";
export { childPointer, escapeToken, removePointers, underPointer } from "./pointer.ts";
