import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import type { GitLoopConfig } from "../engine/loop/config.ts";
import { BosunError } from "../engine/model/errors.ts";

/**
 * The engine's own configuration (`bosun serve --config FILE`): where the fleet repo is and how
 * to reach the cluster. Credentials are referenced (env variables, files), never inlined.
 */
export interface EngineConfig {
  readonly git: GitLoopConfig;
  readonly kubernetes: {
    /** Path of a kubeconfig; absent means in-cluster, then the default chain. */
    readonly kubeconfig?: string;
    readonly context?: string;
    readonly qps?: number;
    readonly burst?: number;
    /** Namespace for Bosun's own state (the inventory ConfigMap). Default `bosun-system`. */
    readonly stateNamespace?: string;
  };
  readonly engine?: {
    /** While a rollout progresses, the next pass comes this soon (default 2 s). */
    readonly requeueMs?: number;
    /** A device Lease older than this marks the device unreachable (default 300 s). */
    readonly heartbeatStaleMs?: number;
    readonly useHeartbeats?: boolean;
  };
  /** Address of /metrics, /healthz, /readyz (default 127.0.0.1:9090; port 0 picks one). */
  readonly listen?: { readonly host?: string; readonly port?: number };
  readonly log?: { readonly level?: string };
}

export async function readEngineConfig(path: string): Promise<EngineConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new BosunError(`engine config ${path}`, "cannot be read; pass an existing file with --config", { cause });
  }
  const config = parse(text) as Partial<EngineConfig> | null;
  if (!config?.git?.repo?.url || !config.git.repo.mirrorDir) {
    throw new BosunError(`engine config ${path}`, "needs git.repo.url and git.repo.mirrorDir");
  }
  return { kubernetes: {}, ...config } as EngineConfig;
}
