import type { PassOutcome } from "../../engine/loop/pass.ts";
import type { PassReport } from "../../engine/reconcile/fleet-reconciler.ts";

/** Turns engine passes into short progress lines: only what changed since the last line. */
export class ProgressPrinter {
  private readonly last = new Map<string, string>();
  private complete = false;

  constructor(
    private readonly write: (line: string) => void,
    private readonly onComplete: () => void,
  ) {}

  report(report: PassReport): void {
    const changed = report.changes.filter(
      (c) => c.action === "created" || c.action === "configured" || c.action === "deleted",
    );
    if (changed.length > 0)
      this.write(
        `applied ${changed.length} object change(s) from ${report.commit.slice(0, 12)}: ${changed
          .slice(0, 5)
          .map((c) => `${c.action} ${c.ref.kind}/${c.ref.name}`)
          .join(", ")}${changed.length > 5 ? ", …" : ""}`,
      );
    if (report.pruneRefused) this.write(`prune refused: ${report.pruneRefused}`);
    for (const rollout of report.rollouts) {
      const id = `${rollout.object.kind}/${rollout.object.namespace}/${rollout.object.name}`;
      if (this.last.get(id) === rollout.summary) continue;
      this.last.set(id, rollout.summary);
      this.write(rollout.summary);
      if (rollout.waiting) this.write(`  → ${rollout.waiting}`);
    }
    const done = report.rollouts.length > 0 && report.rollouts.every((r) => r.status.phase === "Ready");
    if (done && !this.complete) {
      this.complete = true;
      this.onComplete();
    }
    if (!done) this.complete = false;
  }

  pass(outcome: PassOutcome): void {
    if (outcome.statusCommit) this.write(`status commit ${outcome.statusCommit.slice(0, 12)} on bosun/status`);
    if (outcome.kind === "invalid")
      this.write(
        `commit ${outcome.commit.slice(0, 12)} is invalid, not applied:\n  ${outcome.diagnostics.join("\n  ")}`,
      );
    if (outcome.kind === "fetch-failed") this.write(`fetch failed: ${outcome.error.message}`);
  }
}
