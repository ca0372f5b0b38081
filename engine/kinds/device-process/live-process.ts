/** What the rollout needs of a live DeviceProcess: compact, so 100,000 of them stay small. */
export interface LiveProcess {
  readonly name: string;
  readonly device: string;
  /** `bosun.dev/revision` label: the template digest it was rendered from. */
  readonly revision: string | undefined;
  readonly phase: string | undefined;
  /** The Healthy condition: true, false, or undefined when not reported yet. */
  readonly healthy: boolean | undefined;
  readonly restartCount: number;
  /**
   * The status describes the current spec (status.observedGeneration = metadata.generation). A
   * status written for an earlier spec says nothing about this one: the device counts as pending.
   */
  readonly observed: boolean;
  /** Why it is not healthy, from the agent's status (condition message or termination reason). */
  readonly reason: string | undefined;
}

type Json = Record<string, unknown>;

/** Reads a DeviceProcess object (as the API returns it) into a LiveProcess. */
export function toLiveProcess(object: Json): LiveProcess {
  const metadata = (object["metadata"] ?? {}) as Json;
  const labels = (metadata["labels"] ?? {}) as Record<string, string>;
  const spec = (object["spec"] ?? {}) as Json;
  const status = (object["status"] ?? {}) as Json;
  const conditions = (Array.isArray(status["conditions"]) ? status["conditions"] : []) as Json[];
  const healthy = conditions.find((c) => c["type"] === "Healthy");
  const notOk = conditions.find(
    (c) => c["status"] === "False" && typeof c["message"] === "string" && c["message"] !== "",
  );
  const termination =
    typeof status["lastTerminationReason"] === "string" && status["lastTerminationReason"] !== ""
      ? status["lastTerminationReason"]
      : undefined;
  return {
    name: String(metadata["name"]),
    device: labels["bosun.dev/device"] ?? String(((spec["deviceRef"] ?? {}) as Json)["name"] ?? ""),
    revision: labels["bosun.dev/revision"],
    phase: typeof status["phase"] === "string" ? status["phase"] : undefined,
    healthy: healthy === undefined ? undefined : healthy["status"] === "True",
    restartCount: typeof status["restartCount"] === "number" ? status["restartCount"] : 0,
    observed:
      typeof status["observedGeneration"] === "number" && status["observedGeneration"] === metadata["generation"],
    reason: (notOk?.["message"] as string | undefined) ?? termination,
  };
}
