/** STATUS.md: a markdown table that forges render. Sorted, deterministic, size-capped. Pure. */
import { capText } from "./truncate.ts";
import type { CommitStatus, ObjectStatus } from "./types.ts";

function cell(s: string | undefined): string {
  return (s ?? "").replace(/\r?\n/g, " ").replace(/\|/g, "\\|").slice(0, 200);
}

function short(sha: string | undefined): string {
  return sha ? sha.slice(0, 12) : "—";
}

function ref(o: ObjectStatus): string {
  return o.namespace === "" ? `${o.kind}/${o.name}` : `${o.kind}/${o.namespace}/${o.name}`;
}

/** `objects` undefined: the object files were left as they were (no pass applied since). */
export function renderSummary(
  commit: CommitStatus,
  objects: readonly ObjectStatus[] | undefined,
  maxBytes: number,
): string {
  const lines: string[] = [
    "# Bosun status",
    "",
    `Ref \`${cell(commit.ref)}\` · phase **${commit.phase}** · observed \`${short(commit.observedCommit)}\` · applied \`${short(commit.appliedCommit)}\``,
    "",
  ];
  if (commit.lastError) lines.push(`> ${cell(commit.lastError)}`, "");
  if (commit.diagnostics?.length) {
    lines.push("## Errors in the observed commit", "");
    for (const d of [...commit.diagnostics].sort()) lines.push(`- \`${cell(d)}\``);
    lines.push("");
  }
  if (!objects) {
    lines.push("Object statuses are unchanged since the last applied commit; see `objects/`.");
    return capText(lines.join("\n") + "\n", maxBytes, "<!-- ").replace(/(<!-- truncated by bosun: .*)\n$/, "$1 -->\n");
  }
  const sorted = [...objects].sort((a, b) => (ref(a) < ref(b) ? -1 : ref(a) > ref(b) ? 1 : 0));
  lines.push("| object | phase | commit | source | message |", "|---|---|---|---|---|");
  for (const o of sorted) {
    const msg = o.lastError ?? o.conditions?.find((c) => c.status !== "True")?.message;
    lines.push(
      `| ${cell(ref(o))} | ${cell(o.phase)} | \`${short(o.observedCommit)}\` | ${cell(o.source)} | ${cell(msg)} |`,
    );
  }
  return capText(lines.join("\n") + "\n", maxBytes, "<!-- ").replace(/(<!-- truncated by bosun: .*)\n$/, "$1 -->\n");
}
