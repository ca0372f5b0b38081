import type { BosunConfig } from "../../desired/bosun-config.ts";
import type { FleetObject } from "../../model/fleet-object.ts";
import { digest } from "../canonical-json.ts";
import { percent, resolveMaxUnavailable } from "../../rollout/max-unavailable.ts";
import { compileSelector, type LabelSelector, type Matcher } from "../selector.ts";

export interface Wave {
  readonly name: string;
  readonly matches: Matcher;
  readonly approval: "required" | "auto";
  /** Fraction 0..1 of a wave's reachable devices that must end up ready. */
  readonly successThreshold: number;
}

/** A DeviceProcessDeployment, read once into what expansion and rollout need. */
export interface Deployment {
  readonly namespace: string;
  readonly name: string;
  readonly selector: LabelSelector;
  readonly matches: Matcher;
  readonly strategy: "RollingUpdate" | "Recreate";
  readonly maxUnavailable: number | string;
  readonly waves: readonly Wave[];
  readonly paused: boolean;
  /** Digest of the template: what a process was rendered from. */
  readonly revision: string;
  readonly templateLabels: Readonly<Record<string, string>>;
  readonly templateSpec: Readonly<Record<string, unknown>>;
  readonly labels: Readonly<Record<string, string>>;
}

/** Name of the implicit last wave holding devices no declared wave selects. */
export const REMAINING_WAVE = "remaining";

export { percent, resolveMaxUnavailable };

type Json = Record<string, unknown>;

/** Reads a validated DeviceProcessDeployment fleet object (schema defaults already applied). */
export function readDeployment(object: FleetObject, config: BosunConfig): Deployment {
  const spec = object.body["spec"] as Json;
  const metadata = object.body["metadata"] as Json;
  const template = spec["template"] as Json;
  const strategy = (spec["updateStrategy"] ?? {}) as Json;
  const rolling = (strategy["rollingUpdate"] ?? {}) as Json;
  const threshold = percent(String(spec["successThreshold"] ?? config.defaults.rollout.successThreshold));
  const declared = ((spec["waves"] ?? []) as Json[]).map((w): Wave => ({
    name: String(w["name"]),
    matches: w["selector"] === undefined ? () => true : compileSelector(w["selector"] as LabelSelector),
    approval: w["approval"] === "required" ? "required" : "auto",
    successThreshold: w["successThreshold"] === undefined ? threshold : percent(String(w["successThreshold"])),
  }));
  const last = ((spec["waves"] ?? []) as Json[]).at(-1);
  const waves =
    last === undefined || last["selector"] !== undefined
      ? [
          ...declared,
          { name: REMAINING_WAVE, matches: () => true, approval: "auto" as const, successThreshold: threshold },
        ]
      : declared;
  const templateMeta = (template["metadata"] ?? {}) as Json;
  return {
    namespace: object.namespace,
    name: object.name,
    selector: spec["selector"] as LabelSelector,
    matches: compileSelector(spec["selector"] as LabelSelector),
    strategy: strategy["type"] === "Recreate" ? "Recreate" : "RollingUpdate",
    maxUnavailable:
      (rolling["maxUnavailable"] as number | string | undefined) ?? config.defaults.rollout.maxUnavailable,
    waves,
    paused: spec["paused"] === true,
    revision: digest(template),
    templateLabels: (templateMeta["labels"] ?? {}) as Record<string, string>,
    templateSpec: template["spec"] as Json,
    labels: (metadata["labels"] ?? {}) as Record<string, string>,
  };
}
