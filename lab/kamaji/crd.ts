/**
 * Kamaji's TenantControlPlane CRD from `../shared/specs/kamaji`, made installable on the lab's
 * kube-apiserver v1.20 with the one documented change it needs (../shared/research/real-components.md,
 * "Round 2 feasibility" §3): every `x-kubernetes-validations` key (CEL, unknown to 1.20) and every
 * `default: ""` (1.20 reads it as null) are removed. Nothing else changes; the five CEL rules are lost.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import type { KubeClient } from "../../clients/kubernetes/index.ts";
import type { JsonObject } from "../../engine/index.ts";
import { KamajiLabError } from "./errors.ts";

export const TCP_API_VERSION = "kamaji.clastix.io/v1alpha1";
export const TCP_KIND = "TenantControlPlane";
export const TCP_CRD_NAME = "tenantcontrolplanes.kamaji.clastix.io";

/** `shared/specs` beside the repo (BOSUN_SPECS_DIR, else found walking up from here). */
export function specsDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env["BOSUN_SPECS_DIR"];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  let dir = resolve(import.meta.dirname, "../..");
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "shared", "specs");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new KamajiLabError("shared/specs not found: set BOSUN_SPECS_DIR to the folder holding the upstream CRDs");
}

export interface Kube120Crd {
  readonly crd: JsonObject;
  /** How many `x-kubernetes-validations` keys and `default: ""` entries were removed. */
  readonly removed: { readonly validations: number; readonly emptyDefaults: number };
}

/** The upstream CRD with only the change v1.20 needs (pure). */
export function crdForKube120(upstream: JsonObject): Kube120Crd {
  const removed = { validations: 0, emptyDefaults: 0 };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== "object") return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "x-kubernetes-validations") {
        removed.validations++;
        continue;
      }
      if (k === "default" && x === "") {
        removed.emptyDefaults++;
        continue;
      }
      out[k] = walk(x);
    }
    return out;
  };
  return { crd: walk(upstream) as JsonObject, removed };
}

export async function readUpstreamTcpCrd(env: NodeJS.ProcessEnv = process.env): Promise<JsonObject> {
  const file = join(specsDir(env), "kamaji", "kamaji.clastix.io_tenantcontrolplanes.yaml");
  return parse(await readFile(file, "utf8"), { maxAliasCount: -1 }) as JsonObject;
}

/** Applies the CRD server-side (client-side apply cannot: the 729 KB annotation) and waits until Established. */
export async function installKamajiCrd(client: KubeClient, signal: AbortSignal): Promise<Kube120Crd> {
  const result = crdForKube120(await readUpstreamTcpCrd());
  await client.apply(result.crd, { fieldManager: "bosun-lab-kamaji", force: true, signal });
  for (;;) {
    signal.throwIfAborted();
    const live = await client.get(
      { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: TCP_CRD_NAME },
      signal,
    );
    const conds = ((live as { status?: { conditions?: { type: string; status: string }[] } } | undefined)?.status
      ?.conditions ?? []) as { type: string; status: string }[];
    if (conds.some((c) => c.type === "Established" && c.status === "True")) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Discovery of the new group may lag Established: wait until the resource is served.
  for (;;) {
    signal.throwIfAborted();
    try {
      await client.list(TCP_API_VERSION, TCP_KIND, { limit: 1, signal });
      return result;
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      client.mapper.invalidate(TCP_API_VERSION);
      await new Promise((r) => setTimeout(r, 200));
      void e;
    }
  }
}
