/**
 * pmxcfs-style storage locks for the lab: a full clone holds its storage's lock while it copies
 * (≈5 s for 1 GiB on lvmthin/LINSTOR), others queue for it and give up after the lock timeout
 * (10 s upstream) with "cfs-lock 'storage-<id>' error: got lock request timeout"
 * (../shared/research/backend-perf-anchors.md, linstor-proxmox#73).
 */
export class StorageLocks {
  private readonly queues = new Map<string, (() => void)[]>();
  private readonly held = new Set<string>();
  /** Lock waits that timed out (benchmarks). */
  timeouts = 0;

  /** Waits for the lock up to `timeoutMs`; resolves with its release, or rejects with PVE's text. */
  acquire(key: string, storage: string, timeoutMs: number): Promise<() => void> {
    const release = (): void => {
      const next = this.queues.get(key)?.shift();
      if (next) next();
      else this.held.delete(key);
    };
    if (!this.held.has(key)) {
      this.held.add(key);
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      this.queues.set(key, queue);
      const grant = (): void => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        const i = queue.indexOf(grant);
        if (i >= 0) queue.splice(i, 1);
        this.timeouts++;
        reject(new Error(`cfs-lock 'storage-${storage}' error: got lock request timeout`));
      }, timeoutMs);
      queue.push(grant);
    });
  }
}
