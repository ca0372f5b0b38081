import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { webhookSecretProblem, BosunError, type GitLoopConfig, type LocalLoopConfig } from "../engine/index.ts";

/**
 * Where desired state comes from: a git remote (`git:`) or, for development, a local working
 * tree (`local:`, see LocalDirLoop) — exactly one.
 */
export type DesiredStateSource =
  | { readonly git: GitLoopConfig; readonly local?: undefined }
  | { readonly local: LocalLoopConfig; readonly git?: undefined };

/**
 * The engine's own configuration (`bosun serve --config FILE`): where the fleet repo is and how
 * to reach the cluster. Credentials are referenced (env variables, files), never inlined.
 */
export type EngineConfig = DesiredStateSource & EngineSettings;

export interface EngineSettings {
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
  return validateEngineConfig(await readEngineConfigDocument(path), `engine config ${path}`);
}

/** The parsed YAML of an engine config file, not yet validated (`bosun serve` merges flags into it). */
export async function readEngineConfigDocument(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new BosunError(`engine config ${path}`, "cannot be read; pass an existing file with --config", { cause });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    throw new BosunError(`engine config ${path}`, "is not valid YAML; fix the file", { cause });
  }
  if (doc !== null && doc !== undefined && !isRecord(doc))
    throw new BosunError(`engine config ${path}`, "must be a YAML mapping");
  return doc ?? {};
}

/** Checks the shape `startEngine` relies on; `subject` names the source in errors. */
export function validateEngineConfig(doc: Record<string, unknown>, subject: string): EngineConfig {
  const { git, local } = doc;
  if ((git === undefined) === (local === undefined)) {
    throw new BosunError(
      subject,
      "needs exactly one of git (a remote fleet repo) or local (a working tree, e.g. bosun serve --dir)",
    );
  }
  if (git !== undefined) {
    const repo = isRecord(git) && isRecord(git["repo"]) ? git["repo"] : undefined;
    if (!repo?.["url"] || !repo["mirrorDir"])
      throw new BosunError(subject, "needs git.repo.url and git.repo.mirrorDir");
    const webhook = (git as Record<string, unknown>)["webhook"];
    if (webhook !== undefined) {
      const problem = isRecord(webhook) ? webhookSecretProblem(webhook) : "webhook must be a mapping";
      if (problem) throw new BosunError(subject, `git.${problem}`);
    }
  } else {
    if (!isRecord(local) || typeof local["dir"] !== "string" || local["dir"] === "")
      throw new BosunError(subject, "needs local.dir (the working tree)");
    const debounce = local["debounceMs"];
    if (debounce !== undefined && (typeof debounce !== "number" || !(debounce >= 0)))
      throw new BosunError(subject, "local.debounceMs must be a number >= 0");
  }
  return { ...doc, kubernetes: isRecord(doc["kubernetes"]) ? doc["kubernetes"] : {} } as unknown as EngineConfig;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
