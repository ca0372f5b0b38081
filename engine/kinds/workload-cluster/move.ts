/**
 * Pivoting: moves a workload cluster's Cluster API and provider objects from one management
 * cluster to another with `clusterctl move` semantics — pause on the source, copy to the target
 * (owners first, owner references re-mapped to the target's UIDs, status copied), delete from the
 * source with finalizers removed first (so the source's provider never deletes the domains), then
 * unpause on the target. Every step is derived from live state on both clusters, so a move
 * interrupted at any point (an engine SIGKILLed) finishes when run again.
 */
import type { JsonObject } from "../../model/object-ref.ts";
import { SinkError } from "../../model/errors.ts";
import { clusterLabelValue, WORKLOAD_CLUSTER_LABEL } from "./render.ts";
import type { ClusterObjectRef, ManagementCluster } from "./ports.ts";

export const PAUSED_ANNOTATION = "cluster.x-k8s.io/paused";
/** Marks a pause the move set (a pause someone else set is kept on the target). */
export const MOVE_PAUSE_ANNOTATION = "bosun.dev/paused-by-move";
export const CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});
const meta = (o: JsonObject): Json => obj(o["metadata"]);

export interface MoveKind {
  readonly apiVersion: string;
  readonly kind: string;
}

export interface MoveInput {
  readonly namespace: string;
  /** The WorkloadCluster's name = the Cluster's name. */
  readonly name: string;
  /** Kinds that may belong to the cluster: the rendered ones plus what controllers create (Machines, Secrets …). */
  readonly kinds: readonly MoveKind[];
  readonly source: ManagementCluster;
  readonly target: ManagementCluster;
  readonly signal: AbortSignal;
  /** Called after each step (tests, logs). */
  readonly onStep?: (step: string) => void;
}

export interface MoveResult {
  /** Objects created on the target by this run. */
  readonly copied: number;
  /** Objects deleted from the source by this run. */
  readonly deleted: number;
  /** Objects of the cluster on the target at the end. */
  readonly moved: number;
}

const refOf = (o: JsonObject): ClusterObjectRef => ({
  apiVersion: String(o["apiVersion"]),
  kind: String(o["kind"]),
  namespace: String(meta(o)["namespace"] ?? ""),
  name: String(meta(o)["name"]),
});
const idOf = (kind: string, name: string): string => `${kind}/${name}`;

/** The kinds to look at: the given ones, the infra machine of each infra template, Machines, Secrets, ConfigMaps. */
export function moveKinds(rendered: readonly MoveKind[], machineApiVersion: string): MoveKind[] {
  const out = new Map<string, MoveKind>();
  const add = (k: MoveKind): void => void out.set(`${k.apiVersion}|${k.kind}`, k);
  for (const k of rendered) {
    add(k);
    if (k.apiVersion.startsWith("infrastructure.") && k.kind.endsWith("MachineTemplate"))
      add({ apiVersion: k.apiVersion, kind: k.kind.slice(0, -"Template".length) });
  }
  add({ apiVersion: machineApiVersion, kind: "Machine" });
  add({ apiVersion: "v1", kind: "Secret" });
  add({ apiVersion: "v1", kind: "ConfigMap" });
  return [...out.values()];
}

/**
 * The cluster's objects on one management cluster: labelled with its name (Cluster API's
 * cluster-name label or Bosun's), plus everything owned by them, transitively. Sorted owners first.
 */
export async function discover(
  cluster: ManagementCluster,
  input: Pick<MoveInput, "namespace" | "name" | "kinds" | "signal">,
): Promise<JsonObject[]> {
  const all: JsonObject[] = [];
  for (const k of input.kinds) {
    all.push(...(await cluster.list(k.apiVersion, k.kind, input.namespace, undefined, input.signal)));
  }
  const bosun = clusterLabelValue({ namespace: input.namespace, name: input.name });
  const labelled = (o: JsonObject): boolean => {
    const labels = obj(meta(o)["labels"]);
    return labels[CLUSTER_NAME_LABEL] === input.name || labels[WORKLOAD_CLUSTER_LABEL] === bosun;
  };
  const selected = new Map<string, JsonObject>();
  for (const o of all) if (labelled(o)) selected.set(String(meta(o)["uid"]), o);
  for (let grew = true; grew;) {
    grew = false;
    for (const o of all) {
      const uid = String(meta(o)["uid"]);
      if (selected.has(uid)) continue;
      const owners = Array.isArray(meta(o)["ownerReferences"]) ? (meta(o)["ownerReferences"] as Json[]) : [];
      if (owners.some((r) => selected.has(String(r["uid"])))) {
        selected.set(uid, o);
        grew = true;
      }
    }
  }
  return ownersFirst([...selected.values()]);
}

/** Topological order by owner references (owners first; the Cluster first of all), stable by kind/name. */
export function ownersFirst(objects: readonly JsonObject[]): JsonObject[] {
  const byId = new Map(objects.map((o) => [idOf(String(o["kind"]), String(meta(o)["name"])), o]));
  const sorted = [...objects].sort((a, b) => {
    const ka = `${a["kind"] === "Cluster" ? 0 : 1}|${String(a["kind"])}|${String(meta(a)["name"])}`;
    const kb = `${b["kind"] === "Cluster" ? 0 : 1}|${String(b["kind"])}|${String(meta(b)["name"])}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const out: JsonObject[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (o: JsonObject): void => {
    const id = idOf(String(o["kind"]), String(meta(o)["name"]));
    if (state.get(id) !== undefined) return;
    state.set(id, "visiting");
    const owners = Array.isArray(meta(o)["ownerReferences"]) ? (meta(o)["ownerReferences"] as Json[]) : [];
    for (const r of owners) {
      const owner = byId.get(idOf(String(r["kind"]), String(r["name"])));
      if (owner && state.get(idOf(String(owner["kind"]), String(meta(owner)["name"]))) === undefined) visit(owner);
    }
    state.set(id, "done");
    out.push(o);
  };
  sorted.forEach(visit);
  return out;
}

/** The copy of a source object for the target: server-set metadata dropped, paused, owners re-mapped by kind/name. */
export function copyFor(source: JsonObject, targetUid: (kind: string, name: string) => string | undefined): JsonObject {
  const m = meta(source);
  const owners = Array.isArray(m["ownerReferences"]) ? (m["ownerReferences"] as Json[]) : [];
  const remapped = owners.flatMap((r) => {
    const uid = targetUid(String(r["kind"]), String(r["name"]));
    return uid === undefined ? [] : [{ ...r, uid }];
  });
  const metadata: Json = {
    name: m["name"],
    namespace: m["namespace"],
    ...(m["labels"] !== undefined ? { labels: m["labels"] } : {}),
    annotations: pausedAnnotations(obj(m["annotations"])),
    ...(remapped.length > 0 ? { ownerReferences: remapped } : {}),
    ...(Array.isArray(m["finalizers"]) ? { finalizers: m["finalizers"] } : {}),
  };
  const out: JsonObject = { ...source, metadata };
  delete out["status"];
  if (source["kind"] === "Cluster") out["spec"] = { ...obj(source["spec"]), paused: true };
  return out;
}

function pausedAnnotations(annotations: Json): Json {
  if (annotations[PAUSED_ANNOTATION] !== undefined && annotations[MOVE_PAUSE_ANNOTATION] === undefined)
    return annotations;
  return { ...annotations, [PAUSED_ANNOTATION]: "", [MOVE_PAUSE_ANNOTATION]: "true" };
}

const pausable = (o: JsonObject): boolean => o["apiVersion"] !== "v1";

/** The merge patch that pauses one object for the move (undefined when already paused). */
function pausePatch(o: JsonObject): JsonObject | undefined {
  const annotations = obj(meta(o)["annotations"]);
  const clusterPaused = o["kind"] !== "Cluster" || obj(o["spec"])["paused"] === true;
  if (annotations[PAUSED_ANNOTATION] !== undefined && clusterPaused) return undefined;
  const patch: JsonObject = {};
  if (annotations[PAUSED_ANNOTATION] === undefined)
    patch["metadata"] = { annotations: { [PAUSED_ANNOTATION]: "", [MOVE_PAUSE_ANNOTATION]: "true" } };
  if (o["kind"] === "Cluster" && !clusterPaused) patch["spec"] = { paused: true };
  return patch;
}

/** The merge patch that lifts the move's pause (undefined when the object carries none). */
function unpausePatch(o: JsonObject): JsonObject | undefined {
  const annotations = obj(meta(o)["annotations"]);
  if (annotations[MOVE_PAUSE_ANNOTATION] === undefined) return undefined;
  const patch: JsonObject = { metadata: { annotations: { [PAUSED_ANNOTATION]: null, [MOVE_PAUSE_ANNOTATION]: null } } };
  if (o["kind"] === "Cluster") patch["spec"] = { paused: false };
  return patch;
}

const statusOf = (o: JsonObject): Json | undefined => {
  const s = o["status"];
  return typeof s === "object" && s !== null && Object.keys(s).length > 0 ? (s as Json) : undefined;
};

/** Runs (or finishes) the move; safe to run again after a crash at any step. */
export async function moveCluster(input: MoveInput): Promise<MoveResult> {
  const { source, target, signal } = input;
  const step = input.onStep ?? (() => undefined);
  const from = await discover(source, input);
  let copied = 0;
  let deleted = 0;
  if (from.length > 0) {
    // 1. Pause on the source: its provider and controllers stop touching these objects.
    for (const o of from.filter(pausable)) {
      const patch = pausePatch(o);
      if (patch) await source.patch(refOf(o), patch, signal);
    }
    step("paused");
    // 2. Copy to the target, owners first, with status; an object already there (an earlier run) keeps its UID.
    await target.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: input.namespace } }, signal);
    const uids = new Map<string, string>();
    const targetUid = (kind: string, name: string): string | undefined => uids.get(idOf(kind, name));
    for (const o of from) {
      const ref = refOf(o);
      let live = await target.get(ref, signal);
      if (!live) {
        live = await target.create(copyFor(o, targetUid), signal);
        copied++;
        step(`copied ${ref.kind}/${ref.name}`);
      }
      uids.set(idOf(ref.kind, ref.name), String(meta(live)["uid"]));
      const status = statusOf(o);
      if (status && pausable(o) && JSON.stringify(statusOf(live)) !== JSON.stringify(status)) {
        await target.writeStatus({ ...live, status }, signal);
      }
    }
    step("copied");
    // 3. Delete from the source: finalizers first, so no provider runs its delete logic (the domains stay).
    for (const o of from) {
      if (Array.isArray(meta(o)["finalizers"]) && (meta(o)["finalizers"] as unknown[]).length > 0)
        await source.patch(refOf(o), { metadata: { finalizers: null } }, signal);
    }
    for (const o of [...from].reverse()) {
      await source.remove(refOf(o), signal, "Background");
      deleted++;
      step(`deleted ${String(o["kind"])}/${String(meta(o)["name"])}`);
    }
    // Objects deleted without finalizers go at once; ones the garbage collector still holds count as gone.
    const left = (await discover(source, input)).filter((o) => meta(o)["deletionTimestamp"] === undefined);
    if (left.length > 0) {
      throw new SinkError(
        `WorkloadCluster ${input.namespace}/${input.name}`,
        "transient",
        `move to ${target.name}: ${left.length} objects still on ${source.name}; the move continues next pass`,
      );
    }
    step("deleted");
  }
  // 4. Unpause on the target.
  const on = await discover(target, input);
  for (const o of on.filter(pausable)) {
    const patch = unpausePatch(o);
    if (patch) await target.patch(refOf(o), patch, signal);
  }
  step("unpaused");
  return { copied, deleted, moved: on.length };
}
