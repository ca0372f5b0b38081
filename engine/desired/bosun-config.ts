/** bosun.yaml at the fleet repo root, with schema defaults applied (schemas/BosunConfig.json). */
export interface BosunConfig {
  /** metadata.annotations of bosun.yaml: per-commit opt-ins (e.g. bosun.dev/allow-mass-deletion). */
  readonly annotations: Readonly<Record<string, string>>;
  readonly paths: {
    readonly include: readonly string[];
    readonly exclude: readonly string[];
    readonly approvals: string;
    readonly maxFileBytes: number;
  };
  readonly defaults: {
    readonly namespace: string;
    readonly rollout: { readonly maxUnavailable: number | string; readonly successThreshold: string };
    readonly selfHeal: boolean;
    readonly prune: boolean;
    readonly maxDeletionShare: string;
  };
  readonly agents: {
    /** Maintain per-device RBAC for the device agents (engine/reconcile/device-access.ts). */
    readonly rbac: boolean;
  };
  /** Pull-request plans: who may approve a plan by review (read from the PR's base branch). */
  readonly pullRequests?: {
    readonly approvers: {
      readonly logins: readonly string[];
      readonly teams: Readonly<Record<string, readonly string[]>>;
    };
  };
  readonly status: {
    readonly mode: "branch" | "folder";
    readonly branch: string;
    readonly folder: string;
    readonly maxFileBytes: number;
    readonly maxFailingDevices: number;
    /** At most one status commit per this many seconds while rollouts progress (final states always written). */
    readonly minIntervalSeconds: number;
  };
}

export const CONFIG_FILE = "bosun.yaml";

/** The configuration used when a repo has no bosun.yaml. */
export const defaultConfig: BosunConfig = {
  annotations: {},
  paths: {
    include: ["**/*.yaml", "**/*.yml", "**/*.json"],
    exclude: [],
    approvals: "approvals/",
    maxFileBytes: 1024 * 1024,
  },
  defaults: {
    namespace: "default",
    rollout: { maxUnavailable: "10%", successThreshold: "90%" },
    selfHeal: true,
    prune: true,
    maxDeletionShare: "30%",
  },
  agents: { rbac: false },
  status: {
    mode: "branch",
    branch: "bosun/status",
    folder: "status/",
    maxFileBytes: 65536,
    maxFailingDevices: 20,
    minIntervalSeconds: 30,
  },
};

/** Keys that look like credentials: bosun.yaml lives in Git and must never hold one. */
export const CREDENTIAL_KEY = /(password|passwd|secret|token|apikey|api_key|credential|privatekey|private_key)/i;
