import { groupOf } from "../model/object-ref.ts";
import type { KindRegistration } from "./registration.ts";

export function kindId(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

/**
 * Every kind Bosun knows, keyed by apiVersion and kind. Kinds that are not registered are plain
 * manifests: they go to the default backend (Kubernetes) as they are.
 */
export class KindRegistry {
  private readonly byId: ReadonlyMap<string, KindRegistration>;
  /** API groups owned by registered kinds: an unknown kind in one of these is a typo, not a CRD. */
  readonly groups: ReadonlySet<string>;

  constructor(
    readonly registrations: readonly KindRegistration[],
    /** The backend of plain manifests (kinds not registered). */
    readonly defaultBackend = "kubernetes",
  ) {
    const byId = new Map<string, KindRegistration>();
    for (const r of registrations) {
      const id = kindId(r.apiVersion, r.kind);
      if (byId.has(id)) throw new Error(`kind ${r.apiVersion} ${r.kind} is registered twice`);
      byId.set(id, r);
    }
    this.byId = byId;
    this.groups = new Set(registrations.map((r) => groupOf(r.apiVersion)));
  }

  get(apiVersion: string, kind: string): KindRegistration | undefined {
    return this.byId.get(kindId(apiVersion, kind));
  }

  /** Kinds registered under one apiVersion (for "did you mean" messages). */
  kindsOf(apiVersion: string): string[] {
    return this.registrations.filter((r) => r.apiVersion === apiVersion).map((r) => r.kind);
  }

  /**
   * Where an object goes: a backend name, `inventory`/`engine-only` for kinds Bosun does not write,
   * or undefined for a registered kind without a backend (NotReconciled).
   */
  placeOf(
    apiVersion: string,
    kind: string,
  ): { readonly backend: string } | { readonly role: "inventory" | "engine-only" } | undefined {
    const r = this.get(apiVersion, kind);
    if (!r) return { backend: this.defaultBackend };
    if (r.role !== "applied") return { role: r.role };
    return r.backend === undefined ? undefined : { backend: r.backend };
  }

  /** A registry with more kinds (a test's toy kind, a plugin's kinds); later registrations may not repeat a kind. */
  with(...registrations: KindRegistration[]): KindRegistry {
    return new KindRegistry([...this.registrations, ...registrations], this.defaultBackend);
  }
}
