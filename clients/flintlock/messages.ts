/**
 * The Flintlock v0.11 wire messages Bosun uses (`microvm.services.api.v1alpha1` and
 * `flintlock.types`, ../shared/specs/flintlock). Field names and numbers are the API's; the types
 * and codecs are ours. `test/contract/flintlock-wire.test.ts` checks them against the upstream
 * protos.
 */
import {
  asBool,
  asInt32,
  asInt64,
  asString,
  readFields,
  readMapEntry,
  type ProtoField,
  ProtoWriter,
} from "./protobuf.ts";

export const MicroVMState = { PENDING: 0, CREATED: 1, FAILED: 2, DELETING: 3 } as const;
export type MicroVMStateName = keyof typeof MicroVMState;
const STATE_NAMES: readonly MicroVMStateName[] = ["PENDING", "CREATED", "FAILED", "DELETING"];

export const IfaceType = { MACVTAP: 0, TAP: 1 } as const;

export interface Timestamp {
  readonly seconds: number;
  readonly nanos: number;
}

export interface Kernel {
  readonly image: string;
  readonly cmdline?: Readonly<Record<string, string>>;
  readonly filename?: string;
  readonly addNetworkConfig?: boolean;
}

export interface Initrd {
  readonly image: string;
  readonly filename?: string;
}

export interface StaticAddress {
  readonly address: string;
  readonly gateway?: string;
  readonly nameservers?: readonly string[];
}

export interface NetworkInterface {
  readonly deviceId: string;
  readonly type: number;
  readonly guestMac?: string;
  readonly address?: StaticAddress;
  readonly overrides?: { readonly bridgeName?: string };
}

export interface VolumeSource {
  readonly containerSource?: string;
  readonly virtiofsSource?: string;
}

export interface Volume {
  readonly id: string;
  readonly isReadOnly?: boolean;
  readonly mountPoint?: string;
  readonly source?: VolumeSource;
  readonly partitionId?: string;
  readonly sizeInMb?: number;
}

export interface MicroVMSpec {
  readonly id: string;
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly vcpu: number;
  readonly memoryInMb: number;
  readonly kernel?: Kernel;
  readonly initrd?: Initrd;
  readonly rootVolume?: Volume;
  readonly additionalVolumes?: readonly Volume[];
  readonly interfaces?: readonly NetworkInterface[];
  /** Cloud-init items, base64-encoded (`meta-data`, `user-data`, `vendor-data`). */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly createdAt?: Timestamp;
  readonly updatedAt?: Timestamp;
  readonly deletedAt?: Timestamp;
  readonly uid?: string;
  readonly provider?: string;
  readonly allowGuestAgent?: boolean;
}

export interface Mount {
  readonly type: number;
  readonly source: string;
}

export interface NetworkInterfaceStatus {
  readonly hostDeviceName: string;
  readonly index: number;
  readonly macAddress: string;
}

export interface MicroVMStatus {
  readonly state: MicroVMStateName;
  readonly volumes?: Readonly<Record<string, { readonly mount?: Mount }>>;
  readonly kernelMount?: Mount;
  readonly initrdMount?: Mount;
  readonly networkInterfaces?: Readonly<Record<string, NetworkInterfaceStatus>>;
  readonly retry?: number;
  readonly vsockPath?: string;
}

export interface MicroVM {
  readonly version: number;
  readonly spec?: MicroVMSpec;
  readonly status?: MicroVMStatus;
}

/** `google.protobuf.Any`. */
export interface AnyValue {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

export interface CreateMicroVMRequest {
  readonly microvm?: MicroVMSpec;
  readonly metadata?: Readonly<Record<string, AnyValue>>;
}

export interface ListMicroVMsRequest {
  readonly namespace: string;
  readonly name?: string;
}

// ---- encoders --------------------------------------------------------------------------------

const str = (w: ProtoWriter, field: number, v: string): void => void w.string(field, v);

function encTimestamp(w: ProtoWriter, t: Timestamp): void {
  w.intDefault(1, t.seconds).intDefault(2, t.nanos);
}

function encKernel(w: ProtoWriter, k: Kernel): void {
  w.stringDefault(1, k.image).map(2, k.cmdline, str).string(3, k.filename).intDefault(4, k.addNetworkConfig);
}

function encInitrd(w: ProtoWriter, i: Initrd): void {
  w.stringDefault(1, i.image).string(2, i.filename);
}

function encVolume(w: ProtoWriter, v: Volume): void {
  w.stringDefault(1, v.id)
    .intDefault(2, v.isReadOnly)
    .string(3, v.mountPoint)
    .message(4, v.source, (s, src) => s.string(1, src.containerSource).string(2, src.virtiofsSource))
    .string(5, v.partitionId)
    .int(6, v.sizeInMb);
}

function encInterface(w: ProtoWriter, i: NetworkInterface): void {
  w.stringDefault(1, i.deviceId)
    .intDefault(2, i.type)
    .string(4, i.guestMac)
    .message(5, i.address, (a, addr) =>
      a.stringDefault(1, addr.address).string(2, addr.gateway).repeatedString(3, addr.nameservers),
    )
    .message(6, i.overrides, (o, ov) => o.string(1, ov.bridgeName));
}

export function encodeSpec(w: ProtoWriter, s: MicroVMSpec): void {
  w.stringDefault(1, s.id)
    .stringDefault(2, s.namespace)
    .map(3, s.labels, str)
    .intDefault(4, s.vcpu)
    .intDefault(5, s.memoryInMb)
    .message(6, s.kernel, encKernel)
    .message(7, s.initrd, encInitrd)
    .message(8, s.rootVolume, encVolume)
    .repeated(9, s.additionalVolumes, encVolume)
    .repeated(10, s.interfaces, encInterface)
    .map(11, s.metadata, str)
    .message(12, s.createdAt, encTimestamp)
    .message(13, s.updatedAt, encTimestamp)
    .message(14, s.deletedAt, encTimestamp)
    .string(15, s.uid)
    .string(16, s.provider)
    .intDefault(17, s.allowGuestAgent);
}

function encMount(w: ProtoWriter, m: Mount): void {
  w.intDefault(1, m.type).stringDefault(2, m.source);
}

function encStatus(w: ProtoWriter, s: MicroVMStatus): void {
  w.intDefault(1, MicroVMState[s.state])
    .map(2, s.volumes, (e, f, v) => e.message(f, v, (x, vs) => x.message(1, vs.mount, encMount)))
    .message(3, s.kernelMount, encMount)
    .message(4, s.initrdMount, encMount)
    .map(5, s.networkInterfaces, (e, f, v) =>
      e.message(f, v, (x, n) =>
        x.stringDefault(1, n.hostDeviceName).intDefault(2, n.index).stringDefault(3, n.macAddress),
      ),
    )
    .intDefault(6, s.retry)
    .stringDefault(7, s.vsockPath);
}

export function encodeMicroVM(w: ProtoWriter, m: MicroVM): void {
  w.intDefault(1, m.version).message(2, m.spec, encodeSpec).message(3, m.status, encStatus);
}

const encode =
  <T>(fn: (w: ProtoWriter, v: T) => void) =>
  (v: T): Buffer => {
    const w = new ProtoWriter();
    fn(w, v);
    return Buffer.from(w.finish());
  };

export const encodeCreateRequest = encode<CreateMicroVMRequest>((w, r) =>
  w
    .message(1, r.microvm, encodeSpec)
    .map(2, r.metadata, (e, f, a) => e.message(f, a, (x, any) => x.stringDefault(1, any.typeUrl).bytes(2, any.value))),
);
/** CreateMicroVMResponse, GetMicroVMResponse and ListMessage: `{microvm = 1}`. */
export const encodeMicroVMEnvelope = encode<{ microvm?: MicroVM }>((w, r) => w.message(1, r.microvm, encodeMicroVM));
/** DeleteMicroVMRequest and GetMicroVMRequest: `{uid = 1}`. */
export const encodeUidRequest = encode<{ uid: string }>((w, r) => w.stringDefault(1, r.uid));
export const encodeListRequest = encode<ListMicroVMsRequest>((w, r) =>
  w.stringDefault(1, r.namespace).string(2, r.name),
);
export const encodeListResponse = encode<{ microvm: readonly MicroVM[] }>((w, r) =>
  w.repeated(1, r.microvm, encodeMicroVM),
);
export const encodeEmpty = encode<Record<string, never>>(() => undefined);

// ---- decoders --------------------------------------------------------------------------------

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function decTimestamp(buf: Uint8Array): Timestamp {
  let seconds = 0;
  let nanos = 0;
  for (const f of readFields(buf)) {
    if (f.field === 1) seconds = asInt64(f);
    else if (f.field === 2) nanos = asInt32(f);
  }
  return { seconds, nanos };
}

function decKernel(buf: Uint8Array): Kernel {
  const k: Mutable<Kernel> = { image: "" };
  const cmdline: Record<string, string> = {};
  for (const f of readFields(buf)) {
    if (f.field === 1) k.image = asString(f);
    else if (f.field === 2) readMapEntry(f, cmdline, asString, "");
    else if (f.field === 3) k.filename = asString(f);
    else if (f.field === 4) k.addNetworkConfig = asBool(f);
  }
  if (Object.keys(cmdline).length > 0) k.cmdline = cmdline;
  return k;
}

function decInitrd(buf: Uint8Array): Initrd {
  const i: Mutable<Initrd> = { image: "" };
  for (const f of readFields(buf)) {
    if (f.field === 1) i.image = asString(f);
    else if (f.field === 2) i.filename = asString(f);
  }
  return i;
}

function decVolume(buf: Uint8Array): Volume {
  const v: Mutable<Volume> = { id: "" };
  for (const f of readFields(buf)) {
    if (f.field === 1) v.id = asString(f);
    else if (f.field === 2) v.isReadOnly = asBool(f);
    else if (f.field === 3) v.mountPoint = asString(f);
    else if (f.field === 4) {
      const s: Mutable<VolumeSource> = {};
      for (const g of readFields(f.bytes)) {
        if (g.field === 1) s.containerSource = asString(g);
        else if (g.field === 2) s.virtiofsSource = asString(g);
      }
      v.source = s;
    } else if (f.field === 5) v.partitionId = asString(f);
    else if (f.field === 6) v.sizeInMb = asInt32(f);
  }
  return v;
}

function decInterface(buf: Uint8Array): NetworkInterface {
  const n: Mutable<NetworkInterface> = { deviceId: "", type: 0 };
  for (const f of readFields(buf)) {
    if (f.field === 1) n.deviceId = asString(f);
    else if (f.field === 2) n.type = asInt32(f);
    else if (f.field === 4) n.guestMac = asString(f);
    else if (f.field === 5) {
      const a: Mutable<StaticAddress> = { address: "" };
      const ns: string[] = [];
      for (const g of readFields(f.bytes)) {
        if (g.field === 1) a.address = asString(g);
        else if (g.field === 2) a.gateway = asString(g);
        else if (g.field === 3) ns.push(asString(g));
      }
      if (ns.length > 0) a.nameservers = ns;
      n.address = a;
    } else if (f.field === 6) {
      const o: { bridgeName?: string } = {};
      for (const g of readFields(f.bytes)) if (g.field === 1) o.bridgeName = asString(g);
      n.overrides = o;
    }
  }
  return n;
}

export function decodeSpec(buf: Uint8Array): MicroVMSpec {
  const s: Mutable<MicroVMSpec> = { id: "", namespace: "", vcpu: 0, memoryInMb: 0 };
  const labels: Record<string, string> = {};
  const metadata: Record<string, string> = {};
  const volumes: Volume[] = [];
  const interfaces: NetworkInterface[] = [];
  for (const f of readFields(buf)) {
    switch (f.field) {
      case 1: s.id = asString(f); break; // prettier-ignore
      case 2: s.namespace = asString(f); break; // prettier-ignore
      case 3: readMapEntry(f, labels, asString, ""); break; // prettier-ignore
      case 4: s.vcpu = asInt32(f); break; // prettier-ignore
      case 5: s.memoryInMb = asInt32(f); break; // prettier-ignore
      case 6: s.kernel = decKernel(f.bytes); break; // prettier-ignore
      case 7: s.initrd = decInitrd(f.bytes); break; // prettier-ignore
      case 8: s.rootVolume = decVolume(f.bytes); break; // prettier-ignore
      case 9: volumes.push(decVolume(f.bytes)); break; // prettier-ignore
      case 10: interfaces.push(decInterface(f.bytes)); break; // prettier-ignore
      case 11: readMapEntry(f, metadata, asString, ""); break; // prettier-ignore
      case 12: s.createdAt = decTimestamp(f.bytes); break; // prettier-ignore
      case 13: s.updatedAt = decTimestamp(f.bytes); break; // prettier-ignore
      case 14: s.deletedAt = decTimestamp(f.bytes); break; // prettier-ignore
      case 15: s.uid = asString(f); break; // prettier-ignore
      case 16: s.provider = asString(f); break; // prettier-ignore
      case 17: s.allowGuestAgent = asBool(f); break; // prettier-ignore
    }
  }
  if (Object.keys(labels).length > 0) s.labels = labels;
  if (Object.keys(metadata).length > 0) s.metadata = metadata;
  if (volumes.length > 0) s.additionalVolumes = volumes;
  if (interfaces.length > 0) s.interfaces = interfaces;
  return s;
}

function decMount(buf: Uint8Array): Mount {
  const m: Mutable<Mount> = { type: 0, source: "" };
  for (const f of readFields(buf)) {
    if (f.field === 1) m.type = asInt32(f);
    else if (f.field === 2) m.source = asString(f);
  }
  return m;
}

function stateName(f: ProtoField): MicroVMStateName {
  const name = STATE_NAMES[asInt32(f)];
  if (!name) throw new Error(`unknown MicroVMState ${asInt32(f)}`);
  return name;
}

function decStatus(buf: Uint8Array): MicroVMStatus {
  const s: Mutable<MicroVMStatus> = { state: "PENDING" };
  const volumes: Record<string, { mount?: Mount }> = {};
  const nics: Record<string, NetworkInterfaceStatus> = {};
  for (const f of readFields(buf)) {
    if (f.field === 1) s.state = stateName(f);
    else if (f.field === 2)
      readMapEntry(
        f,
        volumes,
        (e) => {
          const vs: { mount?: Mount } = {};
          for (const g of readFields(e.bytes)) if (g.field === 1) vs.mount = decMount(g.bytes);
          return vs;
        },
        {},
      );
    else if (f.field === 3) s.kernelMount = decMount(f.bytes);
    else if (f.field === 4) s.initrdMount = decMount(f.bytes);
    else if (f.field === 5)
      readMapEntry(
        f,
        nics,
        (e) => {
          const n = { hostDeviceName: "", index: 0, macAddress: "" };
          for (const g of readFields(e.bytes)) {
            if (g.field === 1) n.hostDeviceName = asString(g);
            else if (g.field === 2) n.index = asInt32(g);
            else if (g.field === 3) n.macAddress = asString(g);
          }
          return n;
        },
        { hostDeviceName: "", index: 0, macAddress: "" },
      );
    else if (f.field === 6) s.retry = asInt32(f);
    else if (f.field === 7) s.vsockPath = asString(f);
  }
  if (Object.keys(volumes).length > 0) s.volumes = volumes;
  if (Object.keys(nics).length > 0) s.networkInterfaces = nics;
  return s;
}

export function decodeMicroVM(buf: Uint8Array): MicroVM {
  const m: Mutable<MicroVM> = { version: 0 };
  for (const f of readFields(buf)) {
    if (f.field === 1) m.version = asInt32(f);
    else if (f.field === 2) m.spec = decodeSpec(f.bytes);
    else if (f.field === 3) m.status = decStatus(f.bytes);
  }
  return m;
}

export function decodeCreateRequest(buf: Uint8Array): CreateMicroVMRequest {
  const r: Mutable<CreateMicroVMRequest> = {};
  const metadata: Record<string, AnyValue> = {};
  for (const f of readFields(buf)) {
    if (f.field === 1) r.microvm = decodeSpec(f.bytes);
    else if (f.field === 2)
      readMapEntry(
        f,
        metadata,
        (e) => {
          let typeUrl = "";
          let value = new Uint8Array(0);
          for (const g of readFields(e.bytes)) {
            if (g.field === 1) typeUrl = asString(g);
            else if (g.field === 2) value = g.bytes.slice();
          }
          return { typeUrl, value };
        },
        { typeUrl: "", value: new Uint8Array(0) },
      );
  }
  if (Object.keys(metadata).length > 0) r.metadata = metadata;
  return r;
}

export function decodeMicroVMEnvelope(buf: Uint8Array): { microvm?: MicroVM } {
  const out: { microvm?: MicroVM } = {};
  for (const f of readFields(buf)) if (f.field === 1) out.microvm = decodeMicroVM(f.bytes);
  return out;
}

export function decodeUidRequest(buf: Uint8Array): { uid: string } {
  let uid = "";
  for (const f of readFields(buf)) if (f.field === 1) uid = asString(f);
  return { uid };
}

export function decodeListRequest(buf: Uint8Array): ListMicroVMsRequest {
  const r: Mutable<ListMicroVMsRequest> = { namespace: "" };
  for (const f of readFields(buf)) {
    if (f.field === 1) r.namespace = asString(f);
    else if (f.field === 2) r.name = asString(f);
  }
  return r;
}

export function decodeListResponse(buf: Uint8Array): { microvm: MicroVM[] } {
  const microvm: MicroVM[] = [];
  for (const f of readFields(buf)) if (f.field === 1) microvm.push(decodeMicroVM(f.bytes));
  return { microvm };
}

export function decodeEmpty(buf: Uint8Array): Record<string, never> {
  readFields(buf);
  return {};
}
