/**
 * Bosun's own Flintlock wire messages (clients/flintlock/messages.ts) against the upstream protos
 * of Flintlock v0.11 (shared/specs/flintlock), loaded by @grpc/proto-loader (protobufjs): every
 * request and response Bosun sends or reads encodes to the same bytes as upstream, and each side
 * decodes what the other encoded.
 */
import { join } from "node:path";
import * as protoLoader from "@grpc/proto-loader";
import { beforeAll, describe, expect, it } from "vitest";
import {
  decodeCreateRequest,
  decodeListRequest,
  decodeListResponse,
  decodeMicroVMEnvelope,
  decodeUidRequest,
  encodeCreateRequest,
  encodeListRequest,
  encodeListResponse,
  encodeMicroVMEnvelope,
  encodeUidRequest,
  ProtoDecodeError,
  SERVICE,
  type MicroVM,
  type MicroVMSpec,
} from "../../clients/flintlock/index.ts";
import { serviceDefinition } from "../../lab/flintlock/index.ts";
import { specsDir } from "../support/specs.ts";

type Method = protoLoader.MethodDefinition<object, object>;
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
let methods: Record<string, Method>;

beforeAll(() => {
  const dir = join(specsDir(), "flintlock");
  const pkg = protoLoader.loadSync("services/microvm/v1alpha1/microvms.proto", {
    includeDirs: [join(dir, "api"), join(dir, "third_party")],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: false,
  });
  methods = pkg["microvm.services.api.v1alpha1.MicroVM"] as unknown as Record<string, Method>;
});

const spec: MicroVMSpec = {
  id: "research-agent-001",
  namespace: "agents",
  labels: { "app.kubernetes.io/managed-by": "bosun", "far.bosun.dev/agent": "research-agent-001" },
  vcpu: 2,
  memoryInMb: 2048,
  kernel: {
    image: "ghcr.io/tinkerbell/far-kernel:6.1.90",
    cmdline: { console: "ttyS0", quiet: "" },
    filename: "vmlinux",
    addNetworkConfig: true,
  },
  initrd: { image: "ghcr.io/tinkerbell/far-initrd:1.0.0", filename: "initrd" },
  rootVolume: {
    id: "research-agent-001-root",
    isReadOnly: true,
    source: { containerSource: "ghcr.io/tinkerbell/far-agent-rootfs:1.4.0" },
    sizeInMb: 512,
  },
  additionalVolumes: [{ id: "data", mountPoint: "/data", source: { virtiofsSource: "/srv/far/data" } }],
  interfaces: [
    { deviceId: "eth0", type: 0 },
    {
      deviceId: "eth1",
      type: 1,
      guestMac: "02:00:00:00:20:01",
      address: { address: "169.254.20.1/30", gateway: "169.254.20.2", nameservers: ["1.1.1.1", "9.9.9.9"] },
      overrides: { bridgeName: "br-far" },
    },
  ],
  metadata: { "meta-data": Buffer.from("instance-id: a").toString("base64") },
  createdAt: { seconds: 1_780_000_000, nanos: 5000 },
  uid: "01J2Z3X4Y5W6V7T8S9R0QPNMKJ",
  provider: "firecracker",
  allowGuestAgent: true,
};

const microvm: MicroVM = {
  version: 3,
  spec,
  status: {
    state: "CREATED",
    volumes: { root: { mount: { type: 1, source: "/var/lib/flintlock/vol/root" } } },
    kernelMount: { type: 0, source: "/dev/mapper/kernel" },
    initrdMount: { type: 1, source: "/var/lib/flintlock/initrd" },
    networkInterfaces: { eth1: { hostDeviceName: "tap123", index: 7, macAddress: "02:00:00:00:20:01" } },
    retry: 2,
    vsockPath: "/run/flintlock/vsock.sock",
  },
};

/** Our shape → the object protobufjs gives/takes (enums as names, interface types as names). */
function upstreamSpec(s: MicroVMSpec): object {
  return { ...s, interfaces: s.interfaces?.map((i) => ({ ...i, type: i.type === 0 ? "MACVTAP" : "TAP" })) };
}
function upstreamMicroVM(m: MicroVM): object {
  const mount = (x: { type: number; source: string } | undefined) =>
    x && { type: x.type === 0 ? "DEV" : "HOSTPATH", source: x.source };
  const st = m.status!;
  return {
    version: m.version,
    spec: upstreamSpec(m.spec!),
    status: {
      ...st,
      volumes: Object.fromEntries(Object.entries(st.volumes ?? {}).map(([k, v]) => [k, { mount: mount(v.mount) }])),
      kernelMount: mount(st.kernelMount),
      initrdMount: mount(st.initrdMount),
    },
  };
}

describe("Flintlock wire messages vs the upstream protos", () => {
  it("names the same service and methods", () => {
    const ours = serviceDefinition();
    for (const name of ["CreateMicroVM", "DeleteMicroVM", "GetMicroVM", "ListMicroVMs", "ListMicroVMsStream"]) {
      expect(methods[name]?.path).toBe(`${SERVICE}/${name}`);
      expect(ours[name]?.path).toBe(methods[name]?.path);
      expect(ours[name]?.responseStream).toBe(methods[name]?.responseStream);
    }
  });

  it("CreateMicroVMRequest: upstream reads ours and writes the same bytes back; ours reads upstream's", () => {
    const m = methods["CreateMicroVM"]!;
    const ours = encodeCreateRequest({ microvm: spec });
    expect(hex(m.requestSerialize(m.requestDeserialize(ours)))).toBe(hex(ours));
    expect(m.requestDeserialize(ours)).toMatchObject({
      microvm: { id: spec.id, memoryInMb: 2048, uid: spec.uid, allowGuestAgent: true, createdAt: spec.createdAt },
    });
    expect(decodeCreateRequest(ours)).toEqual({ microvm: spec });
    // Upstream writes defaults it was given (type MACVTAP = 0): ours reads them all the same.
    expect(decodeCreateRequest(m.requestSerialize(structuredClone({ microvm: upstreamSpec(spec) })))).toEqual({
      microvm: spec,
    });
  });

  it("CreateMicroVMRequest metadata map<string, Any> round-trips", () => {
    const m = methods["CreateMicroVM"]!;
    const any = { typeUrl: "type.googleapis.com/google.protobuf.StringValue", value: Buffer.from([10, 2, 104, 105]) };
    const ours = encodeCreateRequest({
      microvm: { id: "a", namespace: "n", vcpu: 1, memoryInMb: 1 },
      metadata: { k: any },
    });
    // protobufjs's Any wrapper names the field as in the proto (type_url).
    const decoded = m.requestDeserialize(ours) as { metadata: Record<string, { type_url: string; value: Buffer }> };
    expect(decoded.metadata["k"]?.type_url).toBe(any.typeUrl);
    expect(Buffer.from(decoded.metadata["k"]!.value)).toEqual(any.value);
    const back = decodeCreateRequest(ours).metadata?.["k"];
    expect(back?.typeUrl).toBe(any.typeUrl);
    expect(Buffer.from(back!.value)).toEqual(any.value);
  });

  it("MicroVM with status (Create/Get responses, ListMessage): same bytes, decoded alike", () => {
    for (const name of ["CreateMicroVM", "GetMicroVM", "ListMicroVMsStream"]) {
      const m = methods[name]!;
      const ours = encodeMicroVMEnvelope({ microvm });
      expect(hex(m.responseSerialize(m.responseDeserialize(ours))), name).toBe(hex(ours));
      expect(m.responseDeserialize(ours)).toMatchObject({
        microvm: { version: 3, status: { state: "CREATED", retry: 2, vsockPath: microvm.status!.vsockPath } },
      });
      expect(decodeMicroVMEnvelope(ours)).toEqual({ microvm });
      const theirs = m.responseSerialize(structuredClone({ microvm: upstreamMicroVM(microvm) }));
      expect(decodeMicroVMEnvelope(theirs)).toEqual({ microvm });
    }
  });

  it("every MicroVMState and a PENDING (default, not on the wire) state", () => {
    const m = methods["GetMicroVM"]!;
    for (const state of ["PENDING", "CREATED", "FAILED", "DELETING"] as const) {
      const vm: MicroVM = {
        version: 1,
        spec: { id: "x", namespace: "n", vcpu: 1, memoryInMb: 128 },
        status: { state },
      };
      const decoded = m.responseDeserialize(encodeMicroVMEnvelope({ microvm: vm })) as {
        microvm: { status?: { state?: string } };
      };
      // Upstream leaves a default enum off the wire: no state means PENDING.
      expect(decoded.microvm.status?.state ?? "PENDING").toBe(state);
      const theirs = m.responseSerialize({ microvm: { version: 1, spec: vm.spec, status: { state } } });
      expect(decodeMicroVMEnvelope(theirs).microvm?.status?.state).toBe(state);
    }
  });

  it("Get/Delete {uid}, List {namespace, optional name} and ListMicroVMsResponse", () => {
    for (const name of ["GetMicroVM", "DeleteMicroVM"]) {
      const m = methods[name]!;
      expect(Buffer.from(encodeUidRequest({ uid: "U1" }))).toEqual(Buffer.from(m.requestSerialize({ uid: "U1" })));
      expect(decodeUidRequest(m.requestSerialize({ uid: "U2" }))).toEqual({ uid: "U2" });
    }
    const list = methods["ListMicroVMs"]!;
    for (const req of [
      { namespace: "agents" },
      { namespace: "agents", name: "" },
      { namespace: "agents", name: "a" },
    ]) {
      expect(hex(encodeListRequest(req))).toBe(hex(list.requestSerialize(req)));
      expect(decodeListRequest(list.requestSerialize(req))).toEqual(req);
    }
    const two = {
      microvm: [microvm, { version: 1, spec: { id: "b", namespace: "agents", vcpu: 1, memoryInMb: 128 } }],
    };
    const ours = encodeListResponse(two);
    expect(hex(list.responseSerialize(list.responseDeserialize(ours)))).toBe(hex(ours));
    expect((list.responseDeserialize(ours) as { microvm: unknown[] }).microvm).toHaveLength(2);
    const theirs = list.responseSerialize({
      microvm: [
        upstreamMicroVM(microvm),
        { version: 1, spec: { id: "b", namespace: "agents", vcpu: 1, memoryInMb: 128 } },
      ],
    });
    expect(decodeListResponse(theirs)).toEqual(two);
  });

  it("refuses garbage with a decode error instead of a wrong message", () => {
    expect(() => decodeMicroVMEnvelope(Buffer.from([0x0a, 0x10, 0x01]))).toThrow(ProtoDecodeError);
    expect(() =>
      decodeListResponse(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
    ).toThrow(ProtoDecodeError);
  });
});
