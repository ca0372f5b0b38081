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
export { selfHealEnabled, type SelfHealPolicy } from "./self-heal.ts";
export { childPointer, escapeToken, removePointers, underPointer } from "./pointer.ts";
