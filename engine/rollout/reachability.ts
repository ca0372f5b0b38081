import type { Versioned } from "../model/versioned.ts";

export interface Reachability {
  /** Changes only when the set of reachable devices does. */
  readonly version: number;
  readonly reachable: (device: string) => boolean;
}

interface Tracked {
  beatsVersion: number;
  computedAt: number;
  /** Until this time (inclusive) no fresh lease turns stale. */
  validUntil: number;
  fresh: Set<string>;
  version: number;
}

const ALL: Reachability = { version: 0, reachable: () => true };

/**
 * Which devices are reachable (lease renewed within `staleAfterMs` of `now`), per namespace, with
 * a version that stays the same while the reachable set does: a lease renewal that keeps a device
 * reachable, or time passing before any lease goes stale, changes nothing downstream. Same
 * verdicts as `reachability()` in engine/kinds/device-process/health.ts at the same `now`.
 */
export class ReachabilityTracker {
  private readonly tracked = new Map<string, Tracked>();
  private counter = 0;

  static all(): Reachability {
    return ALL;
  }

  at(
    namespace: string,
    beats: Versioned<ReadonlyMap<string, number>>,
    now: number,
    staleAfterMs: number,
  ): Reachability {
    const t = this.tracked.get(namespace);
    if (t && t.beatsVersion === beats.version && now >= t.computedAt && now <= t.validUntil) return view(t);
    const fresh = new Set<string>();
    let validUntil = Number.POSITIVE_INFINITY;
    for (const [device, renewedAt] of beats.value) {
      if (now - renewedAt <= staleAfterMs) {
        fresh.add(device);
        validUntil = Math.min(validUntil, renewedAt + staleAfterMs);
      }
    }
    const same = t !== undefined && t.fresh.size === fresh.size && [...fresh].every((d) => t.fresh.has(d));
    const next: Tracked = {
      beatsVersion: beats.version,
      computedAt: now,
      validUntil,
      fresh: same ? t.fresh : fresh,
      version: same ? t.version : ++this.counter,
    };
    this.tracked.set(namespace, next);
    return view(next);
  }
}

function view(t: Tracked): Reachability {
  const fresh = t.fresh;
  return { version: t.version, reachable: (device) => fresh.has(device) };
}
