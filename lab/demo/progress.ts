import type { PassOutcome } from "../../engine/loop/pass.ts";
import type { PassReport } from "../../engine/reconcile/fleet-reconciler.ts";

/** Turns engine passes into short progress lines: only what changed since the last line. */
export class ProgressPrinter {
  private readonly last = new Map<string, string>();
  private complete = false;

  constructor(private readonly write: (line: string) => void, private readonly onComplete: () => void) {}

  report(report: PassReport): void {
    const changed = report.changes.filter((c) => c.action === "created" || c.action === "configured" || c.action === "deleted");
    if (changed.length > 0) this.write(`applied ${changed.length} object change(s) from ${report.commit.slice(0, 12)}: ${changed.slice(0, 5).map((c) => `${c.action} ${c.ref.kind}/${c.ref.name}`).join(", ")}${changed.length > 5 ? ", …" : ""}`);
    if (report.pruneRefused) this.write(`prune refused: ${report.pruneRefused}`);
    for (const { object, result } of report.deployments) {
      const s = result.deploymentStatus;
      const waves = result.step.waves.map((w) => `${w.name} ${w.state} ${w.updated}/${w.total}`).join(" | ");
      const line = `${object.name}: ${result.step.phase} rev ${result.step.revision.slice(0, 8)} · ready ${s.numberReady}/${s.desiredNumberScheduled} · updated ${s.updatedNumberScheduled} · ${waves}`;
      if (this.last.get(object.name) !== line) {
        this.last.set(object.name, line);
        this.write(line);
        if (result.step.phase === "WaitingForApproval" || result.step.phase === "Paused") this.write(`  → ${result.step.message}`);
      }
    }
    const done = report.deployments.length > 0 && report.deployments.every((d) => d.result.step.phase === "Complete");
    if (done && !this.complete) {
      this.complete = true;
      this.onComplete();
    }
    if (!done) this.complete = false;
  }

  pass(outcome: PassOutcome): void {
    if (outcome.statusCommit) this.write(`status commit ${outcome.statusCommit.slice(0, 12)} on bosun/status`);
    if (outcome.kind === "invalid") this.write(`commit ${outcome.commit.slice(0, 12)} is invalid, not applied:\n  ${outcome.diagnostics.join("\n  ")}`);
    if (outcome.kind === "fetch-failed") this.write(`fetch failed: ${outcome.error.message}`);
  }
}
