import type { FleetObject } from "../model/fleet-object.ts";

export interface ApprovalCheck {
  /** Waves approved for the object's current revision. */
  readonly approved: Set<string>;
  /** Approvals naming another revision: refused, with the reason for status. */
  readonly refused: string[];
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

/**
 * Which waves of an object's rollout are approved for `revision`: approvals whose `spec.target`
 * names the object (kind, namespace and name); those for another revision are refused.
 */
export function checkApprovals(
  approvals: readonly FleetObject[],
  object: ApprovalTarget,
  revision: string,
): ApprovalCheck {
  const approved = new Set<string>();
  const refused: string[] = [];
  for (const a of approvals) {
    const spec = a.body["spec"] as Json;
    const target = spec["target"] as Json;
    if (!names(target, object)) continue;
    const wave = String(spec["wave"]);
    const approvedRevision = String(spec["revision"]);
    if (revision.startsWith(approvedRevision) || approvedRevision.startsWith(revision)) approved.add(wave);
    else {
      refused.push(
        `approval ${a.name} (${a.source.file}) approves wave ${wave} of revision ${approvedRevision}, ` +
          `not the current revision ${revision}: refused`,
      );
    }
  }
  return { approved, refused: refused.sort() };
}

/** Path and content of the approval file `bosun approve` writes. */
export function approvalDocument(input: {
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
    "    kind: DeviceProcessDeployment",
    `    namespace: ${input.namespace}`,
    `    name: ${input.name}`,
    `  wave: ${input.wave}`,
    `  revision: ${JSON.stringify(input.revision)}`,
    `  approvedBy: ${JSON.stringify(input.approvedBy)}`,
    "",
  ].join("\n");
  return { path: `${folder}${input.namespace}/${input.name}/${input.wave}-${input.revision}.yaml`, name, text };
}
