import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../clients/kubernetes/types.ts";

/** Reads a multi-document YAML file into objects (empty documents dropped). */
export async function loadManifests(path: string): Promise<KubeObject[]> {
  const text = await readFile(path, "utf8");
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message ?? "YAML error"}`, { cause: doc.errors[0] });
    const v = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (v !== null && typeof v === "object") out.push(v as KubeObject);
  }
  return out;
}
