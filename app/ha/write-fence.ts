/**
 * Fencing of every Kubernetes write: each shard's pass runs inside `run(shard, …)`, and the
 * KubeClient's `beforeWrite` hook calls `check`, which refuses (FencedError, nothing sent) a write
 * for a shard whose Lease this replica no longer holds, and any write outside a shard's pass.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { FencedError } from "../../engine/ha/index.ts";

export interface LeaseHolder {
  holds(shard: number): boolean;
}

export class WriteFence {
  private readonly scope = new AsyncLocalStorage<number>();
  /** Writes refused since start (for logs and tests). */
  refused = 0;

  constructor(private readonly holder: LeaseHolder) {}

  run<T>(shard: number, fn: () => Promise<T>): Promise<T> {
    return this.scope.run(shard, fn);
  }

  check(subject: string): void {
    const shard = this.scope.getStore();
    if (shard === undefined) {
      this.refused++;
      throw new FencedError(subject, "refused: a write outside any shard's pass while leader election is on");
    }
    if (!this.holder.holds(shard)) {
      this.refused++;
      throw new FencedError(
        subject,
        `refused: this replica no longer holds the lease of shard ${shard} (renew deadline passed, released ` +
          "or taken over); the shard's current leader writes it",
      );
    }
  }
}
