import type { BosunConfig } from "../../desired/bosun-config.ts";
import { canonicalJson, digest } from "../canonical-json.ts";
import { readDeployment, type Deployment } from "./deployment.ts";
import { place, type Placement } from "./expand.ts";
import type { Device } from "../../model/device.ts";
import type { FleetObject } from "../../model/fleet-object.ts";
import type { ApprovalCheck } from "../../rollout/approvals.ts";
import type { DeploymentPassResult } from "./deployment-pass.ts";
import type { Versioned } from "../../model/versioned.ts";

interface Expanded {
  readonly key: string;
  /** What the placements were computed from: name, selectors, device inventory version. */
  readonly placeKey: string;
  /** Changes only when the placements do (devices placed, their waves, their labels). */
  readonly version: number;
  readonly deployment: Deployment;
  readonly placements: readonly Placement[];
}

interface Stepped {
  readonly key: string;
  readonly result: DeploymentPassResult;
}

/** Everything a deployment's pass depends on, as versions and digests. */
export interface StepInputs {
  readonly object: string;
  /** Version of the expansion (`expand(...).version`). */
  readonly placements: number;
  readonly processes: number;
  readonly reachability: number;
  readonly liveDeployment: number;
  readonly approvals: string;
}

/**
 * What the incremental reconciler remembers per DeviceProcessDeployment: its expansion (keyed by
 * the object and the device inventory version) and its last pass result (keyed by every input).
 * A deployment whose inputs are unchanged is neither re-expanded nor re-stepped.
 */
export class DeploymentMemo {
  private readonly bodyDigests = new WeakMap<object, string>();
  private readonly expanded = new Map<string, Expanded>();
  private readonly stepped = new Map<string, Stepped>();
  private counter = 0;

  /** Digest of the object as the pass sees it (body, source position) and of the config. */
  objectKey(object: FleetObject, config: BosunConfig): string {
    return `${this.digestOf(object.body)}|${this.digestOf(config)}|${object.source.file}:${object.source.line}`;
  }

  private digestOf(value: object): string {
    let d = this.bodyDigests.get(value);
    if (d === undefined) this.bodyDigests.set(value, (d = digest(value, 32)));
    return d;
  }

  /**
   * `readDeployment` + `place`, reused while the object and the device inventory are unchanged. Placements depend only
   * on the name, the selectors (deployment and waves) and the devices: a template change (a version bump) keeps them
   * without placing 100,000 devices again.
   */
  expand(
    id: string,
    objectKey: string,
    object: FleetObject,
    config: BosunConfig,
    devices: Versioned<readonly Device[]>,
  ): Expanded {
    const key = `${objectKey}|${devices.version}`;
    const hit = this.expanded.get(id);
    if (hit?.key === key) return hit;
    const deployment = readDeployment(object, config);
    const placeKey = `${object.name}|${digest(placementInputs(object), 32)}|${devices.version}`;
    if (hit?.placeKey === placeKey) {
      const entry = { key, placeKey, version: hit.version, deployment, placements: hit.placements };
      this.expanded.set(id, entry);
      return entry;
    }
    const placements = place(deployment, devices.value);
    const entry =
      hit !== undefined && samePlacements(hit.placements, placements)
        ? { key, placeKey, version: hit.version, deployment, placements: hit.placements }
        : { key, placeKey, version: ++this.counter, deployment, placements };
    this.expanded.set(id, entry);
    return entry;
  }

  /** The previous pass result when every input is the same and its writes all succeeded. */
  reuse(id: string, inputs: StepInputs): DeploymentPassResult | undefined {
    const hit = this.stepped.get(id);
    return hit?.key === stepKey(inputs) && hit.result.clean ? hit.result : undefined;
  }

  remember(id: string, inputs: StepInputs, result: DeploymentPassResult): void {
    this.stepped.set(id, { key: stepKey(inputs), result });
  }

  forget(id: string): void {
    this.stepped.delete(id);
  }

  /** Drops deployments no longer in the desired state. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.expanded.keys()) if (!ids.has(id)) this.expanded.delete(id);
    for (const id of this.stepped.keys()) if (!ids.has(id)) this.stepped.delete(id);
  }
}

/** What `place` reads of a deployment besides its name: its selector and the waves' names and selectors. */
function placementInputs(object: FleetObject): unknown {
  const spec = (object.body["spec"] ?? {}) as Record<string, unknown>;
  const waves = Array.isArray(spec["waves"]) ? (spec["waves"] as Record<string, unknown>[]) : [];
  return { selector: spec["selector"], waves: waves.map((w) => ({ name: w["name"], selector: w["selector"] })) };
}

function samePlacements(a: readonly Placement[], b: readonly Placement[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x?.device !== y?.device || x?.wave !== y?.wave || x?.processName !== y?.processName) return false;
  }
  return true;
}

export function approvalsKey(check: ApprovalCheck): string {
  return canonicalJson([[...check.approved].sort(), check.refused, check.obsolete]);
}

function stepKey(i: StepInputs): string {
  return `${i.object}|e${i.placements}|p${i.processes}|r${i.reachability}|l${i.liveDeployment}|a${i.approvals}`;
}
