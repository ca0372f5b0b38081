import type { Plan, PlanChange, RolloutPlan } from "./plan.ts";

const ACTION_ORDER = ["create", "update", "drift", "delete", "noop"] as const;

function counts(plan: Plan): string {
  const by = new Map<string, number>();
  for (const c of plan.changes) by.set(c.action, (by.get(c.action) ?? 0) + 1);
  const devices = plan.rollouts.reduce((n, r) => n + r.waves.reduce((m, w) => m + w.toUpdate, 0), 0);
  const parts = ACTION_ORDER.filter((a) => a !== "noop" && by.has(a)).map((a) => `${by.get(a)} to ${a}`);
  if (devices > 0) parts.push(`${devices} device${devices === 1 ? "" : "s"} to update`);
  return parts.length === 0 ? "no changes" : parts.join(", ");
}

function waveLine(w: RolloutPlan["waves"][number], index: number): string {
  const gate = w.approval === "required" ? (w.approved ? "approved" : "waits for approval") : "auto";
  return `${index + 1}. ${w.name}: ${w.toUpdate} of ${w.devices} devices to update (${w.disruption}), ${gate}`;
}

function changeLine(c: PlanChange): string {
  const fields = c.fields.length > 0 ? `: ${c.fields.map((f) => (f.from !== undefined || f.to !== undefined ? `${f.pointer} ${f.from ?? "∅"} → ${f.to ?? "∅"}` : f.pointer)).join("; ")}` : "";
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
    lines.push("", `Rollout DeviceProcessDeployment ${r.namespace}/${r.name} → revision ${r.revision} (${r.strategy}, maxUnavailable ${r.maxUnavailable}, ${r.devices} devices):`);
    r.waves.forEach((w, i) => lines.push(`  ${waveLine(w, i)}`));
    if (r.toDelete > 0) lines.push(`  ${r.toDelete} processes of devices that no longer match will be deleted`);
  }
  return `${lines.join("\n")}\n`;
}

/** Markdown for a pull-request comment; long lists are cut with a summary so the comment stays readable. */
export function renderPlanMarkdown(plan: Plan, maxRows = 50): string {
  const lines = [`### Bosun plan \`${plan.digest}\``, "", `Commit \`${plan.commit}\`: **${counts(plan)}**.`];
  const changed = plan.changes.filter((c) => c.action !== "noop");
  if (changed.length > 0) {
    lines.push("", "| action | object | disruption | fields |", "| --- | --- | --- | --- |");
    for (const c of changed.slice(0, maxRows)) {
      const fields = c.fields.map((f) => `\`${f.pointer}\``).join(", ").replace(/\|/g, "\\|");
      lines.push(`| ${c.action} | ${c.kind} ${c.namespace === "" ? "" : `${c.namespace}/`}${c.name} | ${c.disruption} | ${fields} |`);
    }
    if (changed.length > maxRows) lines.push("", `…and ${changed.length - maxRows} more changes (${counts(plan)}); run \`bosun plan\` for all of them.`);
  }
  for (const r of plan.rollouts) {
    if (!r.waves.some((w) => w.toUpdate > 0) && r.toDelete === 0) continue;
    lines.push("", `#### Rollout \`${r.namespace}/${r.name}\` → revision \`${r.revision}\``, "", `${r.strategy}, maxUnavailable ${r.maxUnavailable}, ${r.devices} devices.`, "", "| wave | devices to update | disruption | approval |", "| --- | --- | --- | --- |");
    for (const w of r.waves) {
      const gate = w.approval === "required" ? (w.approved ? "approved" : `**waits** — \`bosun approve DeviceProcessDeployment/${r.name} --wave ${w.name}\``) : "auto";
      lines.push(`| ${w.name} | ${w.toUpdate} / ${w.devices} | ${w.disruption} | ${gate} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}
