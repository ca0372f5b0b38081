import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import { toKubeObject, type KubeObject } from "../../clients/kubernetes/types.ts";

/** Reads a multi-document YAML file into Kubernetes objects (empty documents dropped; any other non-object throws). */
export async function loadManifests(path: string): Promise<KubeObject[]> {
  const text = await readFile(path, "utf8");
  const out: KubeObject[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    const [error] = doc.errors;
    if (error) throw new Error(`${path}: ${error.message}`, { cause: error });
    const v: unknown = doc.toJS({ maxAliasCount: 100 });
    if (v === null || v === undefined) continue;
    if (typeof v !== "object" || Array.isArray(v)) throw new Error(`${path}: document ${i + 1} is not a mapping`);
    out.push(toKubeObject(v as Record<string, unknown>, `${path}: document ${i + 1}`));
  }
  return out;
}
