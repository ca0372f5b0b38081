/**
 * A `MicroVM` object (what the engine renders, `flintlock.bosun.dev/v1alpha1`) to and from
 * Flintlock's wire MicroVMSpec, and the digest Bosun stamps on every microVM it creates: the
 * label `bosun.dev/spec-digest` says what Bosun asked for, so an unchanged spec is not written and
 * a microVM changed behind Bosun's back is seen as drift.
 */
import { IfaceType, type MicroVM, type MicroVMSpec, type NetworkInterface } from "../../clients/flintlock/index.ts";
import { digest, type JsonObject } from "../../engine/index.ts";

export const MICROVM_API_VERSION = "flintlock.bosun.dev/v1alpha1";
export const MICROVM_KIND = "MicroVM";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const DIGEST_LABEL = "bosun.dev/spec-digest";

const rec = (v: unknown): JsonObject => (typeof v === "object" && v !== null ? (v as JsonObject) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const strMap = (v: unknown): Record<string, string> | undefined =>
  v === undefined ? undefined : Object.fromEntries(Object.entries(rec(v)).map(([k, x]) => [k, String(x)]));

/** The host a MicroVM object names (`spec.host`). */
export function hostOf(object: JsonObject): string {
  return String(rec(object["spec"])["host"] ?? "");
}

/** The wire spec Bosun sends for a MicroVM object (labels include Bosun's mark, not yet the digest). */
export function toWireSpec(object: JsonObject): MicroVMSpec {
  const meta = rec(object["metadata"]);
  const spec = rec(object["spec"]);
  const kernel = rec(spec["kernel"]);
  const root = spec["rootVolume"] === undefined ? undefined : rec(spec["rootVolume"]);
  const initrd = spec["initrd"] === undefined ? undefined : rec(spec["initrd"]);
  const interfaces = Array.isArray(spec["interfaces"]) ? (spec["interfaces"] as unknown[]).map(rec) : [];
  const s = {
    id: String(meta["name"] ?? ""),
    namespace: String(meta["namespace"] ?? ""),
    labels: strMap(meta["labels"]) ?? {},
    vcpu: Number(spec["vcpu"] ?? 0),
    memoryInMb: Number(spec["memoryInMb"] ?? 0),
    kernel: {
      image: String(kernel["image"] ?? ""),
      ...(kernel["cmdline"] !== undefined ? { cmdline: strMap(kernel["cmdline"]) } : {}),
      ...(str(kernel["filename"]) !== undefined ? { filename: str(kernel["filename"]) } : {}),
      addNetworkConfig: kernel["addNetworkConfig"] === true,
    },
    ...(initrd
      ? {
          initrd: {
            image: String(initrd["image"] ?? ""),
            ...(str(initrd["filename"]) !== undefined ? { filename: str(initrd["filename"]) } : {}),
          },
        }
      : {}),
    ...(root
      ? {
          rootVolume: {
            id: String(root["id"] ?? ""),
            isReadOnly: root["isReadOnly"] === true,
            source: { containerSource: String(root["containerSource"] ?? "") },
            ...(root["sizeInMb"] !== undefined ? { sizeInMb: Number(root["sizeInMb"]) } : {}),
          },
        }
      : {}),
    ...(interfaces.length > 0
      ? {
          interfaces: interfaces.map((i) => {
            const mac = str(i["guestMac"]);
            const bridge = str(i["bridgeName"]);
            const n: NetworkInterface = {
              deviceId: String(i["deviceId"] ?? ""),
              type: i["type"] === "macvtap" ? IfaceType.MACVTAP : IfaceType.TAP,
              ...(mac !== undefined ? { guestMac: mac } : {}),
              ...(i["address"] !== undefined ? { address: rec(i["address"]) as never } : {}),
              ...(bridge !== undefined ? { overrides: { bridgeName: bridge } } : {}),
            };
            return n;
          }),
        }
      : {}),
    ...(spec["metadata"] !== undefined ? { metadata: strMap(spec["metadata"]) } : {}),
    ...(str(spec["provider"]) !== undefined ? { provider: str(spec["provider"]) } : {}),
  };
  return s as MicroVMSpec;
}

/** What the digest covers: everything Bosun asks for, in a canonical form (server-set fields left out). */
function canonical(spec: MicroVMSpec): unknown {
  const labels = { ...(spec.labels ?? {}) };
  delete labels[DIGEST_LABEL];
  return {
    id: spec.id,
    namespace: spec.namespace,
    labels,
    vcpu: spec.vcpu,
    memoryInMb: spec.memoryInMb,
    kernel: {
      image: spec.kernel?.image ?? "",
      cmdline: spec.kernel?.cmdline ?? {},
      filename: spec.kernel?.filename ?? null,
      addNetworkConfig: spec.kernel?.addNetworkConfig ?? false,
    },
    initrd: spec.initrd ? { image: spec.initrd.image, filename: spec.initrd.filename ?? null } : null,
    rootVolume: spec.rootVolume
      ? {
          id: spec.rootVolume.id,
          isReadOnly: spec.rootVolume.isReadOnly ?? false,
          source: spec.rootVolume.source?.containerSource ?? null,
          sizeInMb: spec.rootVolume.sizeInMb ?? null,
        }
      : null,
    interfaces: (spec.interfaces ?? []).map((i) => ({
      deviceId: i.deviceId,
      type: i.type,
      guestMac: i.guestMac ?? null,
      address: i.address ?? null,
      bridge: i.overrides?.bridgeName ?? null,
    })),
    metadata: spec.metadata ?? {},
    provider: spec.provider ?? null,
  };
}

export function specDigest(spec: MicroVMSpec): string {
  return digest(canonical(spec), 16);
}

/** The spec with the digest label set: what Bosun creates. */
export function stamped(spec: MicroVMSpec): MicroVMSpec {
  return { ...spec, labels: { ...(spec.labels ?? {}), [DIGEST_LABEL]: specDigest(spec) } };
}

/** Top-level spec fields that differ between two specs, as JSON pointers. */
export function changedFields(desired: MicroVMSpec, live: MicroVMSpec): { pointer: string }[] {
  const a = canonical(desired) as Record<string, unknown>;
  const b = canonical(live) as Record<string, unknown>;
  return Object.keys(a)
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => ({ pointer: k === "labels" ? "/metadata/labels" : `/spec/${k}` }));
}

/** A live microVM as a plain object (`Observed.object`). */
export function liveObject(host: string, vm: MicroVM): JsonObject {
  const spec = vm.spec as MicroVMSpec;
  return {
    apiVersion: MICROVM_API_VERSION,
    kind: MICROVM_KIND,
    metadata: {
      name: spec.id,
      namespace: spec.namespace,
      uid: spec.uid ?? "",
      labels: { ...(spec.labels ?? {}) },
      ...(spec.createdAt ? { creationTimestamp: new Date(spec.createdAt.seconds * 1000).toISOString() } : {}),
    },
    spec: {
      host,
      vcpu: spec.vcpu,
      memoryInMb: spec.memoryInMb,
      kernel: { ...(spec.kernel ?? {}) },
      ...(spec.initrd ? { initrd: { ...spec.initrd } } : {}),
      ...(spec.rootVolume
        ? {
            rootVolume: {
              id: spec.rootVolume.id,
              isReadOnly: spec.rootVolume.isReadOnly ?? false,
              containerSource: spec.rootVolume.source?.containerSource ?? "",
            },
          }
        : {}),
    },
    status: { state: vm.status?.state ?? "PENDING", retry: vm.status?.retry ?? 0, intact: isIntact(spec) },
  };
}

/** Bosun created it and nobody changed it since (the digest label matches the spec). */
export function isIntact(spec: MicroVMSpec): boolean {
  const label = spec.labels?.[DIGEST_LABEL];
  return label === undefined || label === specDigest(spec);
}

export function isBosuns(spec: MicroVMSpec | undefined): boolean {
  return spec?.labels?.[MANAGED_BY_LABEL] === "bosun";
}
