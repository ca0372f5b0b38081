import type { PassOutcome } from "../../engine/loop/pass.ts";
import type { PassReport } from "../../engine/reconcile/fleet-reconciler.ts";

/** Turns engine passes into short progress lines: only what changed since the last line. */
export class ProgressPrinter {
  private readonly last = new Map<string, string>();
  /** Refused approvals last printed, per rollout: printed when they change. */
  private readonly refused = new Map<string, string>();
  /** The invalid commit last printed: its problems are printed once, not on every poll. */
  private lastInvalid: string | undefined;
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
    for (const rollout of report.rollouts) {
      const id = `${rollout.object.kind}/${rollout.object.namespace}/${rollout.object.name}`;
      const refused = (rollout.refusedApprovals ?? []).join("\n");
      if ((this.refused.get(id) ?? "") === refused) continue;
      this.refused.set(id, refused);
      for (const line of rollout.refusedApprovals ?? []) this.write(`  ! ${rollout.object.name}: ${line}`);
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
    if (outcome.kind === "invalid" && outcome.commit !== this.lastInvalid)
      this.write(
        `commit ${outcome.commit.slice(0, 12)} is invalid, not applied:\n  ${outcome.diagnostics.join("\n  ")}`,
      );
    this.lastInvalid = outcome.kind === "invalid" ? outcome.commit : undefined;
    if (outcome.kind === "fetch-failed") this.write(`fetch failed: ${outcome.error.message}`);
  }
}
