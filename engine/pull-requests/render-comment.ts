/**
 * The PR comment of a plan: a summary first (counts, digest, head, per-wave table with what an
 * approval of this PR would approve), then the details (every changed object, the devices of every
 * wave, the dependency order). Too long for one comment, it is split into numbered parts: part 1
 * is always the summary. Every part starts with the hidden marker. Pure.
 */
import { formatDiagnostic, type Diagnostic } from "../model/diagnostic.ts";
import type { Plan, PlanChange, RolloutPlan } from "../plan/plan.ts";
import { renderMarker, type ApprovableWave } from "./marker.ts";
import type { ApprovalVerdict } from "./review-approvals.ts";
import { GITHUB_BUDGET, packSections, type Budget, type Section } from "./split-parts.ts";
import { planCounts } from "./status-description.ts";

export interface PlanCommentInput {
  readonly scope: string;
  readonly plan: Plan;
  readonly head: string;
  /** ISO time the plan digest was first shown at this head. */
  readonly since: string;
  readonly verdict: ApprovalVerdict;
  /** Approvers bosun.yaml allows, for the "who may approve" line. */
  readonly approvers: readonly string[];
  readonly planUrl?: string;
  /** The approval files were committed after merge in this commit. */
  readonly committed?: string;
  /** A note on why earlier approvals no longer count (new head, new digest). */
  readonly invalidated?: string;
  readonly budget?: Budget;
}

/** Room for the marker line and the part header added to every part. */
const RESERVE = 1200;

/** Waves a review approval of this plan approves: those waiting for an approval of their revision. */
export function approvableWaves(plan: Plan): ApprovableWave[] {
  const out: ApprovableWave[] = [];
  for (const r of plan.rollouts) {
    if (r.kind !== "DeviceProcessDeployment") continue;
    for (const w of r.waves)
      if (w.approval === "required" && !w.approved)
        out.push({ namespace: r.namespace, name: r.name, wave: w.name, revision: r.revision });
  }
  return out;
}

function changed(r: RolloutPlan): boolean {
  return r.toDelete > 0 || r.waves.some((w) => w.toUpdate > 0);
}

function gate(r: RolloutPlan, w: RolloutPlan["waves"][number], input: PlanCommentInput): string {
  if (w.approval !== "required") return "auto";
  if (w.approved) return "approved (approval file)";
  if (input.committed) return `approved by ${input.verdict.approvedBy.map((l) => `@${l}`).join(", ")} (committed)`;
  if (input.verdict.approvedBy.length > 0)
    return `approved by ${input.verdict.approvedBy.map((l) => `@${l}`).join(", ")}: files committed on merge`;
  return `**waits**: approve this PR at \`${input.head.slice(0, 12)}\` (or \`bosun approve ${r.kind}/${r.name} --wave ${w.name}\`)`;
}

function summary(input: PlanCommentInput): string[] {
  const { plan } = input;
  const lines = [
    `### Bosun plan \`${plan.digest}\` · scope \`${input.scope}\``,
    "",
    `Head \`${input.head.slice(0, 12)}\`: **${planCounts(plan)}**.${input.planUrl ? ` [Full plan](${input.planUrl})` : ""}`,
  ];
  const rollouts = plan.rollouts.filter(changed);
  if (rollouts.length > 0) {
    lines.push(
      "",
      "| rollout | revision | wave | to update | disruption | approval |",
      "| --- | --- | --- | --- | --- | --- |",
    );
    for (const r of rollouts)
      for (const w of r.waves)
        lines.push(
          `| ${r.kind} ${r.namespace}/${r.name} | \`${r.revision}\` | ${w.name} | ${w.toUpdate} / ${w.targets} ${w.targets === 1 ? r.unit : `${r.unit}s`} | ${w.disruption} | ${gate(r, w, input)} |`,
        );
  }
  const waves = approvableWaves(plan);
  if (waves.length > 0) {
    lines.push(
      "",
      `**Approval**: an approving review on head \`${input.head.slice(0, 12)}\` by ${
        input.approvers.length > 0 ? input.approvers.join(", ") : "nobody (bosun.yaml lists no pullRequests.approvers)"
      } approves ${waves.length} wave${waves.length === 1 ? "" : "s"} ` +
        `for plan \`${plan.digest}\`: ${waves.map((w) => `${w.namespace}/${w.name} ${w.wave}`).join(", ")}.`,
    );
    if (input.committed)
      lines.push("", `Approval files committed by Bosun in \`${input.committed.slice(0, 12)}\` after the merge.`);
  }
  if (input.invalidated) lines.push("", `> ${input.invalidated}`);
  if (input.verdict.notes.length > 0) lines.push("", ...input.verdict.notes.map((n) => `- ${n}`));
  return lines;
}

function changeRow(c: PlanChange): string {
  const fields = c.fields
    .map(
      (f) =>
        `\`${f.pointer}\`${f.from !== undefined || f.to !== undefined ? ` ${f.from ?? "∅"} → ${f.to ?? "∅"}` : ""}`,
    )
    .join(", ")
    .replace(/\|/g, "\\|");
  return `| ${c.action} | ${c.kind} ${c.namespace === "" ? "" : `${c.namespace}/`}${c.name} | ${c.disruption} | ${fields} |`;
}

function details(plan: Plan): Section[] {
  const sections: Section[] = [];
  const changes = plan.changes.filter((c) => c.action !== "noop");
  if (changes.length > 0)
    sections.push({
      heading: ["#### Objects", "", "| action | object | disruption | fields |", "| --- | --- | --- | --- |"],
      lines: changes.map(changeRow),
    });
  for (const r of plan.rollouts.filter(changed))
    for (const w of r.waves) {
      const devices = w.devices ?? [];
      if (devices.length === 0) continue;
      sections.push({
        heading: [`#### ${r.namespace}/${r.name} wave ${w.name}: ${devices.length} ${r.unit}s to update`, ""],
        lines: devices.map((d) => `- \`${d}\``),
      });
    }
  if (plan.order.length > 0)
    sections.push({
      heading: ["#### Order (dependsOn)", ""],
      lines: plan.order.map((step, i) => `${i + 1}. ${step.join(", ")}`),
    });
  return sections;
}

/** The comment parts of a plan (part 1 the summary), each starting with its marker. */
export function renderPlanComment(input: PlanCommentInput): string[] {
  const budget = input.budget ?? GITHUB_BUDGET;
  const head = summary(input);
  const rest = details(input.plan);
  const single = packSections([{ heading: [], lines: head }, ...rest], budget, RESERVE);
  const bodies = single.length === 1 ? single : [head, ...packSections(rest, budget, RESERVE)];
  const total = bodies.length;
  const waves = approvableWaves(input.plan);
  return bodies.map((lines, i) => {
    const marker = renderMarker({
      scope: input.scope,
      part: i + 1,
      parts: total,
      ...(i === 0
        ? {
            head: input.head,
            digest: input.plan.digest,
            since: input.since,
            waves,
            ...(input.committed ? { committed: input.committed } : {}),
          }
        : {}),
    });
    const intro =
      total === 1
        ? []
        : i === 0
          ? [`_Part 1 of ${total}: the summary; the details follow in parts 2–${total}._`, ""]
          : [`_Part ${i + 1} of ${total} of Bosun plan \`${input.plan.digest}\` (scope \`${input.scope}\`)._`, ""];
    return `${[marker, ...(i === 0 ? [] : intro), ...lines, ...(i === 0 ? intro : [])].join("\n").trimEnd()}\n`;
  });
}

/** The comment for a head whose fleet files are invalid: every problem as file:line:col. */
export function renderInvalidComment(input: {
  readonly scope: string;
  readonly head: string;
  readonly diagnostics: readonly Diagnostic[];
  readonly budget?: Budget;
}): string[] {
  const head = [
    `### Bosun plan · scope \`${input.scope}\`: invalid fleet files`,
    "",
    `Head \`${input.head.slice(0, 12)}\`: **${input.diagnostics.length} problem${input.diagnostics.length === 1 ? "" : "s"}**; nothing was planned. Fix them (\`bosun validate\`) and push.`,
    "",
  ];
  const rows = input.diagnostics.map((d) => `- \`${formatDiagnostic(d).replace(/`/g, "'")}\``);
  const parts = packSections([{ heading: head, lines: rows }], input.budget ?? GITHUB_BUDGET, RESERVE);
  return parts.map(
    (lines, i) =>
      `${[renderMarker({ scope: input.scope, part: i + 1, parts: parts.length, ...(i === 0 ? { head: input.head } : {}) }), ...lines].join("\n").trimEnd()}\n`,
  );
}
