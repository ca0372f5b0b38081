/**
 * A FARAgent read once (pure): its lifecycle state, the microVM it wants (rendered as a `MicroVM`
 * object for the Flintlock sink), the resources that placement counts, and its revision (digest of
 * what a change recreates the VM for: kernel, image, resources, interfaces).
 */
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../../diff/index.ts";
import type { FleetObject } from "../../model/fleet-object.ts";
import type { JsonObject } from "../../model/object-ref.ts";
import { digest } from "../canonical-json.ts";
import { compileSelector, type LabelSelector, type Matcher } from "../selector.ts";
import { AGENT_LABEL, MICROVM_API_VERSION, MICROVM_KIND, REVISION_LABEL } from "./ports.ts";

export const RESCHEDULE_ANNOTATION = "far.bosun.dev/on-host-unreachable";

export type LifecycleState = "active" | "sleep" | "resurrect" | "blocked" | "force-sleep";

export interface FarAgent {
  readonly object: FleetObject;
  readonly namespace: string;
  readonly name: string;
  readonly state: LifecycleState;
  readonly vcpu: number;
  readonly memoryMiB: number;
  /** A named host, or undefined when a selector places it. */
  readonly host: string | undefined;
  readonly selects: Matcher;
  /**
   * Placed by selector and annotated `far.bosun.dev/on-host-unreachable: reschedule`: when its host stops
   * answering, it is placed on another host (the kept root volume stays behind). Default: it waits.
   */
  readonly reschedule: boolean;
  readonly revision: string;
  /** The microVM spec (without host), as the sink gets it. */
  readonly vm: JsonObject;
}

/** `"2"`, `"500m"`, `2` → vCPUs, rounded up (a microVM has whole vCPUs). */
export function vcpusOf(q: unknown): number {
  const s = String(q);
  const milli = s.endsWith("m") ? Number(s.slice(0, -1)) : Number(s) * 1000;
  return Math.max(1, Math.ceil(milli / 1000));
}

const MEMORY_UNITS: Readonly<Record<string, number>> = {
  "": 1 / (1024 * 1024),
  k: 1000 / (1024 * 1024),
  M: 1e6 / (1024 * 1024),
  G: 1e9 / (1024 * 1024),
  T: 1e12 / (1024 * 1024),
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1024 * 1024,
  m: 1e-3 / (1024 * 1024),
};

/** `"2048Mi"`, `"2Gi"`, `"1G"` → MiB, rounded up. */
export function memoryMiBOf(q: unknown): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$/.exec(String(q));
  if (!m) return 0;
  return Math.ceil(Number(m[1]) * (MEMORY_UNITS[m[2] ?? ""] ?? 0));
}

const rec = (v: unknown): JsonObject => (typeof v === "object" && v !== null ? (v as JsonObject) : {});

export function readAgent(object: FleetObject): FarAgent {
  const spec = rec(object.body["spec"]);
  const microvm = rec(spec["microvm"]);
  const limits = rec(spec["resourceLimits"]);
  const vcpu = vcpusOf(limits["cpu"]);
  const memoryMiB = memoryMiBOf(limits["memory"]);
  const kernel = rec(microvm["kernel"]);
  const initrd = microvm["initrd"] === undefined ? undefined : rec(microvm["initrd"]);
  const root = rec(microvm["rootVolume"]);
  const metadata = rec(microvm["metadata"]);
  const vmSpec: JsonObject = {
    vcpu,
    memoryInMb: memoryMiB,
    kernel: {
      image: kernel["image"],
      ...(kernel["filename"] !== undefined ? { filename: kernel["filename"] } : {}),
      ...(kernel["cmdline"] !== undefined ? { cmdline: kernel["cmdline"] } : {}),
      addNetworkConfig: kernel["addNetworkConfig"] ?? true,
    },
    ...(initrd ? { initrd } : {}),
    // The root volume's id is the agent's: a host that keeps it finds it again on resurrect.
    rootVolume: {
      id: `${object.name}-root`,
      isReadOnly: root["readOnly"] ?? false,
      containerSource: root["image"],
      ...(root["sizeMiB"] !== undefined ? { sizeInMb: root["sizeMiB"] } : {}),
    },
    ...(microvm["interfaces"] !== undefined ? { interfaces: microvm["interfaces"] } : {}),
    ...(Object.keys(metadata).length > 0
      ? {
          metadata: Object.fromEntries(
            Object.entries(metadata).map(([k, v]) => [k, Buffer.from(String(v)).toString("base64")]),
          ),
        }
      : {}),
    ...(microvm["provider"] !== undefined ? { provider: microvm["provider"] } : {}),
  };
  const revision = digest(vmSpec, 12);
  const selector = microvm["hostSelector"] as LabelSelector | undefined;
  const host = typeof microvm["host"] === "string" ? microvm["host"] : undefined;
  const annotations = rec(rec(object.body["metadata"])["annotations"]);
  return {
    object,
    namespace: object.namespace,
    name: object.name,
    state: String(rec(spec["lifecycle"])["state"] ?? "active") as LifecycleState,
    vcpu,
    memoryMiB,
    host,
    selects: host !== undefined ? () => false : compileSelector(selector),
    reschedule: host === undefined && annotations[RESCHEDULE_ANNOTATION] === "reschedule",
    revision,
    vm: {
      apiVersion: MICROVM_API_VERSION,
      kind: MICROVM_KIND,
      metadata: {
        name: object.name,
        namespace: object.namespace,
        labels: {
          [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
          [AGENT_LABEL]: object.name,
          [REVISION_LABEL]: revision,
          "far.bosun.dev/task": String(spec["taskId"] ?? "").slice(0, 63),
        },
      },
      spec: vmSpec,
    },
  };
}

/** The microVM object for one agent on one host. */
export function microVMObject(agent: FarAgent, host: string): JsonObject {
  return { ...agent.vm, spec: { host, ...(agent.vm["spec"] as JsonObject) } };
}

/** The lifecycle states that want a running microVM. */
export function wantsVM(state: LifecycleState): boolean {
  return state === "active" || state === "resurrect";
}
