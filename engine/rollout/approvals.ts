import type { FleetObject } from "../model/fleet-object.ts";

export interface ApprovalCheck {
  /** Waves approved for the object's current revision. */
  readonly approved: Set<string>;
  /**
   * Approvals that could be meant for the current rollout but are refused: the current revision
   * for a wave the object does not have, or — for a wave that needs an approval it lacks — a
   * revision the object never had (a typo, a PR's revision that did not land, a wrong digest).
   * Loud: log line, Event, status.
   */
  readonly refused: string[];
  /**
   * Approval files that cannot matter: an earlier revision of the object, or another revision for
   * a wave that needs no approval or has one for the current revision. Harmless, reported once
   * (`bosun approve --prune` removes them).
   */
  readonly obsolete: string[];
}

/** What `checkApprovals` knows of the object besides its current revision. */
export interface ApprovalContext {
  /** Revisions the object had before (newest first), e.g. from its live status; their approvals are obsolete. */
  readonly history?: readonly string[];
  /**
   * The object's waves: an approval of the current revision for another wave is refused; one of
   * an unknown revision is refused only for a wave that needs an approval it lacks.
   */
  readonly waves?: readonly { readonly name: string; readonly approval: "required" | "auto" }[];
}

/** The object whose rollout an approval names (its `spec.target`). */
export interface ApprovalTarget {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

type Json = Record<string, unknown>;

function names(target: Json, object: ApprovalTarget): boolean {
  return target["kind"] === object.kind && target["namespace"] === object.namespace && target["name"] === object.name;
}

function sameRevision(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/**
 * Which waves of an object's rollout are approved for `revision`: approvals whose `spec.target`
 * names the object (kind, namespace and name). Those of an earlier revision (in `context.history`)
 * are obsolete; see ApprovalCheck for which others are refused.
 */
export function checkApprovals(
  approvals: readonly FleetObject[],
  object: ApprovalTarget,
  revision: string,
  context: ApprovalContext = {},
): ApprovalCheck {
  const approved = new Set<string>();
  const refused: string[] = [];
  const obsolete: string[] = [];
  const history = (context.history ?? []).filter((r) => r !== "" && !sameRevision(r, revision));
  const waveNames = context.waves?.map((w) => w.name);
  /** Approvals of a revision the object never had: refused or obsolete once every approval is known. */
  const unknown: { wave: string; refusal: string; note: string }[] = [];
  for (const a of approvals) {
    const spec = a.body["spec"] as Json;
    const target = spec["target"] as Json;
    if (!names(target, object)) continue;
    const wave = String(spec["wave"]);
    const approvedRevision = String(spec["revision"]);
    const where = `approval ${a.name} (${a.source.file})`;
    if (sameRevision(revision, approvedRevision)) {
      if (waveNames && !waveNames.includes(wave)) {
        refused.push(
          `${where} approves wave ${wave} of the current revision ${revision}, but ${object.kind} ` +
            `${object.namespace}/${object.name} has no wave ${wave} (waves: ${waveNames.join(", ")}): refused; ` +
            "fix the wave name in the file",
        );
      } else approved.add(wave);
    } else if (history.some((r) => sameRevision(r, approvedRevision))) {
      obsolete.push(`${a.source.file} (wave ${wave} of earlier revision ${approvedRevision})`);
    } else {
      unknown.push({
        wave,
        refusal:
          `${where} approves wave ${wave} of revision ${approvedRevision}, not the current revision ${revision}: ` +
          `refused; approve the current revision (bosun approve ${object.kind}/${object.name} --wave ${wave})`,
        note: `${a.source.file} (wave ${wave} of revision ${approvedRevision}, not current)`,
      });
    }
  }
  for (const u of unknown) {
    const needs = context.waves?.find((w) => w.name === u.wave)?.approval;
    // Without the waves every such approval might matter; with them, only one for a wave still waiting can.
    const matters = context.waves === undefined || (needs === "required" && !approved.has(u.wave));
    (matters ? refused : obsolete).push(matters ? u.refusal : u.note);
  }
  return { approved, refused: refused.sort(), obsolete: obsolete.sort() };
}

/** Path and content of the approval file `bosun approve` writes. */
export function approvalDocument(input: {
  /** The rollout's kind (default DeviceProcessDeployment). */
  kind?: string;
  namespace: string;
  name: string;
  wave: string;
  revision: string;
  approvedBy: string;
  folder: string;
}): { path: string; name: string; text: string } {
  const name = `${input.namespace}.${input.name}.${input.wave}.${input.revision}`;
  const folder = input.folder.replace(/\/?$/, "/");
  const text = [
    "# Written by `bosun approve`: approves one wave of one revision; a new revision needs a new approval.",
    "apiVersion: bosun.dev/v1alpha1",
    "kind: Approval",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    "  target:",
    `    kind: ${input.kind ?? "DeviceProcessDeployment"}`,
    `    namespace: ${input.namespace}`,
    `    name: ${input.name}`,
    `  wave: ${input.wave}`,
    `  revision: ${JSON.stringify(input.revision)}`,
    `  approvedBy: ${JSON.stringify(input.approvedBy)}`,
    "",
  ].join("\n");
  return { path: `${folder}${input.namespace}/${input.name}/${input.wave}-${input.revision}.yaml`, name, text };
}
