/**
 * Installs the azure.com CRDs from deploy/crds (I/O) and waits until they are Established and
 * served. For tests and the CLI's `--install-crds`; the global test setup does not install CRDs.
 */
import { readFile, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "yaml";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { SimulatorError } from "./errors.ts";

export const CRD_DIR = resolve(import.meta.dirname, "../../deploy/crds");

interface CrdNames {
  group: string;
  version: string;
  kind: string;
}

function namesOf(crd: KubeObject): CrdNames {
  const spec = crd["spec"] as { group: string; names: { kind: string }; versions: { name: string; served: boolean }[] };
  return { group: spec.group, version: spec.versions.find((v) => v.served)?.name ?? "", kind: spec.names.kind };
}

function established(o: KubeObject | undefined): boolean {
  const conds = (o?.["status"] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return conds.some((c) => c.type === "Established" && c.status === "True");
}

/** Applies every `azure.com_*.yaml` CRD (server-side apply) and waits until each is served. */
export async function installDeviceCrds(
  client: KubeClient,
  opts: { dir?: string; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string[]> {
  const dir = opts.dir ?? CRD_DIR;
  const signal = opts.signal;
  const sig = signal ? { signal } : {};
  try {
    const files = (await readdir(dir)).filter((f) => f.startsWith("azure.com_") && f.endsWith(".yaml")).sort();
    const crds = await Promise.all(files.map(async (f) => parse(await readFile(join(dir, f), "utf8")) as KubeObject));
    for (const crd of crds) await client.apply(crd, { fieldManager: "bosun-device-sim", force: true, ...sig });
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (const crd of crds) {
      const n = namesOf(crd);
      for (;;) {
        const live = await client.get(
          { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: crd.metadata.name },
          signal,
        );
        if (established(live)) {
          client.mapper.invalidate(`${n.group}/${n.version}`);
          const served = await client.mapping(`${n.group}/${n.version}`, n.kind, signal).then(
            () => true,
            () => false,
          );
          if (served) break;
        }
        if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not established in time`);
        await sleep(200, undefined, sig);
      }
    }
    return crds.map((c) => c.metadata.name);
  } catch (err) {
    if (signal?.aborted === true) throw err;
    throw new SimulatorError("CrdInstallFailed", `installing CRDs from ${dir} failed`, { cause: err });
  }
}
