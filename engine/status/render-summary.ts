/** STATUS.md: a markdown table that forges render. Sorted, deterministic, size-capped. Pure. */
import type { CommitStatus, ObjectStatus } from "./types.ts";

const encoder = new TextEncoder();
const bytes = (s: string): number => encoder.encode(s).length;

/** Longest cell text (characters, before escaping); longer text ends in `…`, never mid-escape or mid-character. */
export const MAX_CELL_CHARS = 200;

/** One table cell: single line, `|` escaped, cut at a character boundary with `…`. */
export function cell(s: string | undefined, max = MAX_CELL_CHARS): string {
  let text = (s ?? "").replace(/\r?\n/g, " ");
  const chars = [...text];
  if (chars.length > max) text = `${chars.slice(0, max - 1).join("")}…`;
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|");
}

function short(sha: string | undefined): string {
  return sha ? sha.slice(0, 12) : "—";
}

function ref(o: ObjectStatus): string {
  return o.namespace === "" ? `${o.kind}/${o.name}` : `${o.kind}/${o.namespace}/${o.name}`;
}

/** `ready 9/12 · updated 9 · unavailable 3 · failing 1` from a rollout's counts; `—` without counts. */
export function countsText(o: ObjectStatus): string {
  const c = o.counts;
  if (!c) return "—";
  const parts: string[] = [];
  if (c["desired"] !== undefined) parts.push(`ready ${c["ready"] ?? 0}/${c["desired"]}`);
  if (c["updated"] !== undefined) parts.push(`updated ${c["updated"]}`);
  if (c["unavailable"]) parts.push(`unavailable ${c["unavailable"]}`);
  if (c["failing"]) parts.push(`failing ${c["failing"]}`);
  if (parts.length === 0) for (const key of Object.keys(c).sort()) parts.push(`${key} ${c[key]}`);
  return parts.join(" · ");
}

/** `canary done 4/4 → fleet waiting-approval 0/8`: each wave's state and updated/total; `—` without waves. */
export function wavesText(o: ObjectStatus): string {
  if (!o.waves || o.waves.length === 0) return "—";
  return o.waves.map((w) => `${w.name} ${w.state} ${w.updated}/${w.total}`).join(" → ");
}

function truncationNote(omitted: number, what: string, maxBytes: number): string {
  return `_${omitted} more ${what} not shown: STATUS.md is capped at ${maxBytes} bytes; see \`objects/\` for every object._`;
}

/**
 * `objects` undefined: the object files were left as they were (no pass applied since). Over
 * `maxBytes`, whole table rows (and diagnostics) are left out and a note says how many: the
 * markdown stays valid.
 */
export function renderSummary(
  commit: CommitStatus,
  objects: readonly ObjectStatus[] | undefined,
  maxBytes: number,
): string {
  const head: string[] = [
    "# Bosun status",
    "",
    `Ref \`${cell(commit.ref)}\` · phase **${commit.phase}** · observed \`${short(commit.observedCommit)}\` · applied \`${short(commit.appliedCommit)}\``,
    "",
  ];
  if (commit.lastError) head.push(`> ${cell(commit.lastError, 1000)}`, "");
  // Room kept for the closing note of whichever list gets cut.
  const reserve = bytes(truncationNote(999_999_999, "diagnostics", maxBytes)) + 4;
  let used = bytes(head.join("\n") + "\n");
  const out = [...head];
  const addList = (lines: readonly string[], what: string, header: readonly string[]): void => {
    const headerText = header.join("\n") + "\n";
    if (used + bytes(headerText) + reserve > maxBytes) {
      if (lines.length > 0) out.push(truncationNote(lines.length, what, maxBytes), "");
      return;
    }
    out.push(...header);
    used += bytes(headerText);
    let shown = 0;
    for (const line of lines) {
      const size = bytes(line) + 1;
      if (used + size + reserve > maxBytes) break;
      out.push(line);
      used += size;
      shown++;
    }
    out.push("");
    if (shown < lines.length) out.push(truncationNote(lines.length - shown, what, maxBytes), "");
  };
  if (commit.diagnostics?.length) {
    const lines = [...commit.diagnostics].sort().map((d) => `- \`${cell(d, 400).replace(/`/g, "'")}\``);
    addList(lines, "diagnostics", ["## Errors in the observed commit", ""]);
  }
  if (!objects) {
    out.push("Object statuses are unchanged since the last applied commit; see `objects/`.");
    return out.join("\n") + "\n";
  }
  const sorted = [...objects].sort((a, b) => (ref(a) < ref(b) ? -1 : ref(a) > ref(b) ? 1 : 0));
  const rows = sorted.map((o) => {
    const msg = o.lastError ?? o.conditions?.find((c) => c.status !== "True")?.message;
    return (
      `| ${cell(ref(o))} | ${cell(o.phase)} | ${cell(countsText(o))} | ${cell(wavesText(o))} | ` +
      `\`${short(o.observedCommit)}\` | ${cell(o.source)} | ${cell(msg)} |`
    );
  });
  addList(rows, "objects", [
    "| object | phase | counts | waves | commit | source | message |",
    "|---|---|---|---|---|---|---|",
  ]);
  while (out.at(-1) === "") out.pop();
  return out.join("\n") + "\n";
}
