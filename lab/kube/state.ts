import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { KubeBinaries } from "./paths.ts";

/**
 * Everything needed to restart or stop a running lab environment from any process (vitest
 * workers restart the apiserver; the global setup stops it). Kept as `state.json` in the work
 * dir (mode 0600, the dir is 0700).
 */
export interface KubeEnvState {
  readonly version: 1;
  readonly workDir: string;
  readonly etcdDataDir: string;
  /** The process that owns the env; when it is gone a later start reaps the env. null: never reaped. */
  readonly ownerPid: number | null;
  readonly server: string;
  readonly apiPort: number;
  readonly etcdPort: number;
  readonly caFile: string;
  readonly kubeconfigPath: string;
  readonly token: string;
  readonly bins: KubeBinaries;
  readonly apiserverArgs: readonly string[];
  readonly pids: { readonly etcd: number; readonly apiserver: number; readonly controllerManager: number };
}

export function statePath(workDir: string): string {
  return join(workDir, "state.json");
}

export async function writeState(state: KubeEnvState): Promise<void> {
  const file = statePath(state.workDir);
  await writeFile(`${file}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function readState(workDir: string): Promise<KubeEnvState> {
  return JSON.parse(await readFile(statePath(workDir), "utf8")) as KubeEnvState;
}
