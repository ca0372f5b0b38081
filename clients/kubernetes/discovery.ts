import { isNotFound, KubeApiError } from "./errors.ts";
import type { KubeRest } from "./rest.ts";
import { apiVersionOf, splitApiVersion, type ResourceMapping } from "./types.ts";

interface APIResourceList {
  resources: Array<{ name: string; kind: string; namespaced: boolean }>;
}

/**
 * Maps apiVersion + kind to the resource URL segment (a RESTMapper). Caches one discovery document
 * per group-version and refetches it on a miss (a CRD may have been established since).
 */
export class RestMapper {
  private readonly byGv = new Map<string, Map<string, ResourceMapping>>();

  constructor(private readonly rest: KubeRest) {}

  private async load(apiVersion: string, signal?: AbortSignal): Promise<Map<string, ResourceMapping>> {
    const { group, version } = splitApiVersion(apiVersion);
    const path = group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
    const kinds = new Map<string, ResourceMapping>();
    try {
      const list = await this.rest.request<APIResourceList>({
        method: "GET",
        path,
        subject: `discover ${apiVersion}`,
        ...(signal ? { signal } : {}),
      });
      for (const r of list.resources) {
        if (r.name.includes("/")) continue; // subresources
        kinds.set(r.kind, { group, version, kind: r.kind, resource: r.name, namespaced: r.namespaced });
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.byGv.set(apiVersion, kinds);
    return kinds;
  }

  /** The mapping for `apiVersion`/`kind`; throws KubeApiError 404 `NoKindMatch` when the server has no such kind. */
  async mapping(apiVersion: string, kind: string, signal?: AbortSignal): Promise<ResourceMapping> {
    const cached = this.byGv.get(apiVersion)?.get(kind);
    if (cached) return cached;
    const fresh = (await this.load(apiVersion, signal)).get(kind);
    if (fresh) return fresh;
    throw new KubeApiError(
      `map ${apiVersion} ${kind}`,
      404,
      "NoKindMatch",
      `the server has no kind ${kind} in ${apiVersion}`,
    );
  }

  /** Forgets cached discovery (all, or one group-version). */
  invalidate(apiVersion?: string): void {
    if (apiVersion === undefined) this.byGv.clear();
    else this.byGv.delete(apiVersion);
  }
}

/** `/apis/g/v/namespaces/ns/resource/name/sub` for a mapping. */
export function resourcePath(m: ResourceMapping, namespace?: string, name?: string, subresource?: string): string {
  const base = m.group === "" ? `/api/${m.version}` : `/apis/${m.group}/${m.version}`;
  const ns =
    m.namespaced && namespace !== undefined && namespace !== "" ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const n = name !== undefined ? `/${encodeURIComponent(name)}` : "";
  const s = subresource !== undefined && name !== undefined ? `/${subresource}` : "";
  return `${base}${ns}/${m.resource}${n}${s}`;
}

export { apiVersionOf };
