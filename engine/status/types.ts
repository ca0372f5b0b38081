/** Status documents: what Bosun writes back to Git after each pass. Plain data. */

export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason?: string;
  readonly message?: string;
}

export interface WaveStatus {
  readonly name: string;
  readonly state: string;
  readonly approval: string;
  readonly total: number;
  readonly updated: number;
  readonly ready: number;
  readonly failed: number;
  readonly unreachable: number;
}

/** One field that drifted: where, and what live holds against what Git says (values absent for Secrets). */
export interface DriftField {
  /** JSON pointer, e.g. `/spec/replicas`. */
  readonly pointer: string;
  readonly desired?: unknown;
  readonly live?: unknown;
}

/** Status of one fleet object, as reported by the consumer (apply/rollout) for one commit. */
export interface ObjectStatus {
  readonly kind: string;
  /** Empty for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  /** `path:line` of the object in the fleet repo. */
  readonly source?: string;
  /** The desired-state commit this status was observed for. */
  readonly observedCommit: string;
  readonly planDigest?: string;
  /** e.g. Pending, Progressing, Ready, Degraded, Failed, Unreachable. */
  readonly phase: string;
  readonly conditions?: readonly Condition[];
  /** Counters such as targets/updated/ready/unavailable. Rendered sorted by key. */
  readonly counts?: Readonly<Record<string, number>>;
  readonly wave?: { readonly current: number; readonly total: number };
  /** Rollout progress per wave (DeviceProcessDeployments), in rollout order. */
  readonly waves?: readonly WaveStatus[];
  /** At most `status.maxFailingDevices` failing or unreachable devices, `device (wave): state: reason`. */
  readonly failingDevices?: readonly string[];
  /** How many more failing devices there are than named above. */
  readonly failingDevicesOmitted?: number;
  /** Out-of-band edits found this pass, per field (corrected, or left alone with self-heal off). */
  readonly drift?: readonly DriftField[];
  readonly lastError?: string;
}

/** Status of the tracked ref as a whole: what was seen, what is in force, and why not. */
export interface CommitStatus {
  readonly repo: string;
  readonly ref: string;
  /** The newest commit seen on the ref (may be rejected). */
  readonly observedCommit?: string;
  /** The commit whose desired state is in force (last good). */
  readonly appliedCommit?: string;
  readonly phase: "Applied" | "Invalid" | "Unverified" | "FetchFailed";
  /** `path:line:col: CODE message`, sorted, when the observed commit is invalid. */
  readonly diagnostics?: readonly string[];
  /** Why the last pass failed (fetch error or signature), credentials removed. */
  readonly lastError?: string;
  readonly signature?: { readonly verified: boolean; readonly keyId?: string; readonly reason?: string };
  readonly objectCount?: number;
}

/** Everything one pass writes: `objects` undefined means "leave the object files as they are". */
export interface StatusSnapshot {
  readonly commit: CommitStatus;
  readonly objects?: readonly ObjectStatus[];
}
