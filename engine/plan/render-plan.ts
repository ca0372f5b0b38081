import type { Plan, PlanChange, RolloutPlan } from "./plan.ts";

const ACTION_ORDER = ["create", "update", "drift", "delete", "noop"] as const;

function counts(plan: Plan): string {
  const by = new Map<string, number>();
  for (const c of plan.changes) by.set(c.action, (by.get(c.action) ?? 0) + 1);
  const targets = new Map<string, number>();
  for (const r of plan.rollouts)
    targets.set(r.unit, (targets.get(r.unit) ?? 0) + r.waves.reduce((m, w) => m + w.toUpdate, 0));
  const parts = ACTION_ORDER.filter((a) => a !== "noop" && by.has(a)).map((a) => `${by.get(a)} to ${a}`);
  for (const [unit, n] of targets) if (n > 0) parts.push(`${n} ${plural(unit, n)} to update`);
  return parts.length === 0 ? "no changes" : parts.join(", ");
}

function plural(unit: string, n: number): string {
  return n === 1 ? unit : `${unit}s`;
}

function waveLine(r: RolloutPlan, w: RolloutPlan["waves"][number], index: number): string {
  const gate = w.approval === "required" ? (w.approved ? "approved" : "waits for approval") : "auto";
  return `${index + 1}. ${w.name}: ${w.toUpdate} of ${w.targets} ${plural(r.unit, w.targets)} to update (${w.disruption}), ${gate}`;
}

function orderLines(plan: Plan): string[] {
  return plan.order.map((step, i) => `${i + 1}. ${step.join(", ")}`);
}

function changeLine(c: PlanChange): string {
  const fields =
    c.fields.length > 0
      ? `: ${c.fields.map((f) => (f.from !== undefined || f.to !== undefined ? `${f.pointer} ${f.from ?? "∅"} → ${f.to ?? "∅"}` : f.pointer)).join("; ")}`
      : "";
  const ns = c.namespace === "" ? "" : `${c.namespace}/`;
  return `${c.action} ${c.kind} ${ns}${c.name} [${c.disruption}]${fields}`;
}

/** Plain text for a terminal or a CI log. */
export function renderPlanText(plan: Plan): string {
  const lines = [`Plan ${plan.digest} for ${plan.commit}: ${counts(plan)}`];
  const changed = plan.changes.filter((c) => c.action !== "noop");
  if (changed.length > 0) {
    lines.push("", "Objects:");
    for (const c of changed) lines.push(`  ${changeLine(c)}`);
  }
  for (const r of plan.rollouts) {
    if (!r.waves.some((w) => w.toUpdate > 0) && r.toDelete === 0) continue;
    lines.push(
      "",
      `Rollout ${r.kind} ${r.namespace}/${r.name} → revision ${r.revision} (${r.strategy}, maxUnavailable ${r.maxUnavailable}, ${r.targets} ${plural(r.unit, r.targets)}):`,
    );
    r.waves.forEach((w, i) => lines.push(`  ${waveLine(r, w, i)}`));
    if (r.toDelete > 0)
      lines.push(`  ${r.toDelete} ${plural(r.unit, r.toDelete)} no longer selected: their targets will be deleted`);
  }
  if (plan.order.length > 0) {
    lines.push("", "Order (dependsOn; each step waits for the one before to be Ready):");
    for (const line of orderLines(plan)) lines.push(`  ${line}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A field value in a markdown table cell: code, at most 40 characters, ∅ when absent. */
function cell(value: string | undefined): string {
  if (value === undefined) return "∅";
  const text = value.length > 40 ? `${value.slice(0, 37)}...` : value;
  return `\`${text.replace(/`/g, "'")}\``;
}

/** Markdown for a pull-request comment; long lists are cut with a summary so the comment stays readable. */
export function renderPlanMarkdown(plan: Plan, maxRows = 50): string {
  const lines = [`### Bosun plan \`${plan.digest}\``, "", `Commit \`${plan.commit}\`: **${counts(plan)}**.`];
  const changed = plan.changes.filter((c) => c.action !== "noop");
  if (changed.length > 0) {
    lines.push("", "| action | object | disruption | fields |", "| --- | --- | --- | --- |");
    for (const c of changed.slice(0, maxRows)) {
      const fields = c.fields
        .map(
          (f) =>
            `\`${f.pointer}\`${f.from !== undefined || f.to !== undefined ? ` ${cell(f.from)} → ${cell(f.to)}` : ""}`,
        )
        .join(", ")
        .replace(/\|/g, "\\|");
      lines.push(
        `| ${c.action} | ${c.kind} ${c.namespace === "" ? "" : `${c.namespace}/`}${c.name} | ${c.disruption} | ${fields} |`,
      );
    }
    if (changed.length > maxRows)
      lines.push(
        "",
        `…and ${changed.length - maxRows} more changes (${counts(plan)}); run \`bosun plan\` for all of them.`,
      );
  }
  for (const r of plan.rollouts) {
    if (!r.waves.some((w) => w.toUpdate > 0) && r.toDelete === 0) continue;
    const units = plural(r.unit, 2);
    lines.push(
      "",
      `#### Rollout ${r.kind} \`${r.namespace}/${r.name}\` → revision \`${r.revision}\``,
      "",
      `${r.strategy}, maxUnavailable ${r.maxUnavailable}, ${r.targets} ${plural(r.unit, r.targets)}.`,
      "",
      `| wave | ${units} to update | disruption | approval |`,
      "| --- | --- | --- | --- |",
    );
    for (const w of r.waves) {
      const gate =
        w.approval === "required"
          ? w.approved
            ? "approved"
            : `**waits** — \`bosun approve ${r.kind}/${r.name} --wave ${w.name}\``
          : "auto";
      lines.push(`| ${w.name} | ${w.toUpdate} / ${w.targets} | ${w.disruption} | ${gate} |`);
    }
  }
  if (plan.order.length > 0) lines.push("", "#### Order (dependsOn)", "", ...orderLines(plan));
  return `${lines.join("\n")}\n`;
}
