/**
 * An EdgeWorkload's rollout in Flightctl's terms (fleet mode): each declared wave is a batch of the
 * fleet's `rolloutPolicy.deviceSelection` (BatchSequence: selector, limit, successThreshold), the
 * trailing wave is Flightctl's implicit final batch, `maxUnavailable` is the `disruptionBudget`, and
 * the batch approvals are Bosun's (`fleet-controller/rolloutApprovalMethod: manual`; Bosun sets
 * `fleet-controller/rolloutApproved` once a wave may open). `assignWaves` puts each device in its
 * batch the way Flightctl selects batches, so Bosun's wave counts match Flightctl's batches.
 */
import { resolveMaxUnavailable } from "../../rollout/max-unavailable.ts";
import type { EdgeWave, EdgeWorkload } from "./workload.ts";
import { flightctlSelector } from "./workload.ts";

type Json = Record<string, unknown>;

const pct = (share: number): string => `${Math.round(share * 100)}%`;

/** The fleet's `spec.rolloutPolicy` for this workload over `devices` fleet devices. */
export function rolloutPolicy(workload: EdgeWorkload, devices: number): Json {
  const declared = workload.waves.filter((w) => w.declared);
  const explicit =
    declared.at(-1)?.selector === undefined && declared.at(-1)?.limit === undefined ? declared.slice(0, -1) : declared;
  const budget = Math.max(1, resolveMaxUnavailable(workload.maxUnavailable, Math.max(devices, 1)));
  return {
    ...(explicit.length > 0
      ? {
          deviceSelection: {
            strategy: "BatchSequence",
            sequence: explicit.map((w) => ({
              ...(w.selector ? { selector: flightctlSelector(w.selector) } : {}),
              ...(w.limit !== undefined ? { limit: w.limit } : {}),
              successThreshold: pct(w.successThreshold),
            })),
          },
        }
      : {}),
    disruptionBudget: { maxUnavailable: budget },
    successThreshold: pct(workload.successThreshold),
  };
}

/** Flightctl waits for Bosun before every batch once any wave needs a Git approval. */
export function needsManualApproval(workload: EdgeWorkload): boolean {
  return workload.waves.some((w) => w.approval === "required");
}

function limitOf(limit: number | string, population: number): number {
  if (typeof limit === "number") return limit;
  return Math.ceil((Number(limit.replace("%", "")) / 100) * population - 1e-9);
}

/**
 * The wave (batch) index of each device, devices in name order: each wave takes up to its limit of
 * the devices its selector matches that no earlier wave took; the last wave takes the rest.
 */
export function assignWaves<D>(
  waves: readonly EdgeWave[],
  devices: readonly D[],
  labelsOf: (d: D) => Readonly<Record<string, string>>,
): Map<D, number> {
  const out = new Map<D, number>();
  waves.forEach((w, i) => {
    const last = i === waves.length - 1;
    const matching = devices.filter((d) => !out.has(d) && (last || w.matches(labelsOf(d))));
    const take = last || w.limit === undefined ? matching.length : limitOf(w.limit, matching.length);
    for (const d of matching.slice(0, take)) out.set(d, i);
  });
  return out;
}
