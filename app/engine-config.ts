import { readFile } from "node:fs/promises";
import { Ajv, type ErrorObject } from "ajv";
import { CronTime } from "cron";
import { LEASE_DEFAULTS, timingsProblem } from "../engine/ha/index.ts";
import type { HaConfig } from "./ha/index.ts";
import type { ForgeSettings } from "./pull-requests/index.ts";
import engineConfigSchema from "../schemas/EngineConfig.json" with { type: "json" };
import {
  BosunError,
  formatDiagnostic,
  locate,
  parseYamlFile,
  schemaDiagnostics,
  webhookSecretProblem,
  type Diagnostic,
  type GitLoopConfig,
  type LocalLoopConfig,
} from "../engine/index.ts";

/**
 * Where desired state comes from: a git remote (`git:`) or, for development, a local working
 * tree (`local:`, see LocalDirLoop) — exactly one.
 */
export type DesiredStateSource =
  | { readonly git: GitLoopConfig; readonly local?: undefined }
  | { readonly local: LocalLoopConfig; readonly git?: undefined };

/**
 * The engine's own configuration (`bosun serve --config FILE`): where the fleet repo is and how
 * to reach the cluster. Credentials are referenced (env variables, files), never inlined. Its
 * JSON Schema is `schemas/EngineConfig.json` (strict: unknown keys are errors).
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
  /**
   * The dashboard (/ui, /api): token from `tokenEnv` or `tokenFile`, `trustedProxyHeader`, `enabled`,
   * `staleAfterMs`.
   */
  readonly ui?: {
    readonly enabled?: boolean;
    readonly tokenEnv?: string;
    readonly tokenFile?: string;
    readonly trustedProxyHeader?: string;
    readonly staleAfterMs?: number;
  };
  /** More than one replica: leader election per shard and `shards` (app/ha). Absent: one replica, no election. */
  readonly ha?: HaConfig;
  /** Pull requests on Gitea/Forgejo or GitHub: plan comments, statuses, review approvals (app/pull-requests). */
  readonly forge?: ForgeSettings;
  /** Per-backend settings (app/backends.ts), one key per backend; none today. */
  readonly backends?: Readonly<Record<string, unknown>>;
}

/** The engine config is invalid: every problem as `file:line:col: CODE message`. Code `ENGINE_CONFIG`. */
export class EngineConfigError extends BosunError {
  override readonly name = "EngineConfigError";
  constructor(
    subject: string,
    readonly diagnostics: readonly Diagnostic[],
    summary?: string,
  ) {
    super(
      subject,
      summary ??
        `${diagnostics.length === 1 ? "1 problem" : `${diagnostics.length} problems`}; fix the file ` +
          `(schema: schemas/EngineConfig.json):\n${diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join("\n")}`,
      { code: "ENGINE_CONFIG" },
    );
  }
}

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
ajv.addKeyword({ keyword: "x-message", schemaType: "string" });
const validateSchema = ajv.compile(engineConfigSchema);

/** A parsed engine config file: its YAML (positions for messages) and its value, not yet checked. */
export interface EngineConfigDocument {
  readonly file: string;
  readonly value: Record<string, unknown>;
  readonly parsed?: Parameters<typeof schemaDiagnostics>[1];
}

export async function readEngineConfig(path: string): Promise<EngineConfig> {
  return validateEngineConfig(await readEngineConfigDocument(path));
}

/** Reads and parses an engine config file; YAML problems are an EngineConfigError with file:line:col. */
export async function readEngineConfigDocument(path: string): Promise<EngineConfigDocument> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "error";
    throw new BosunError(`engine config ${path}`, `cannot be read (${code}); pass an existing file with --config`, {
      cause,
      code: "ENGINE_CONFIG",
    });
  }
  const parsed = parseYamlFile(path, bytes);
  const problems = parsed.diagnostics.map((d) =>
    d.code === "NOT_A_MAPPING"
      ? { ...d, message: "the engine config must be a YAML mapping (git:, kubernetes:, listen: …)" }
      : d,
  );
  if (problems.length > 0) throw new EngineConfigError(`engine config ${path}`, problems);
  if (parsed.documents.length > 1) {
    const second = parsed.documents[1]!;
    throw new EngineConfigError(`engine config ${path}`, [
      {
        file: path,
        line: second.line,
        col: second.col,
        pointer: "",
        code: "INVALID_CONFIG",
        message: "the engine config is one YAML document; remove the second one (after ---)",
      },
    ]);
  }
  const doc = parsed.documents[0];
  return doc ? { file: path, value: doc.value, parsed: doc } : { file: path, value: {} };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An if/then/else error only repeats the branch's own errors. */
function withoutIfNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  return errors.filter((e) => e.keyword !== "if");
}

/**
 * Checks an engine config against schemas/EngineConfig.json and the rules a schema cannot say;
 * throws an EngineConfigError listing every problem with file:line:col. `doc.file` names the source.
 */
export function validateEngineConfig(doc: EngineConfigDocument): EngineConfig {
  const { file, value } = doc;
  const subject = `engine config ${file}`;
  const at = (pointer: string, code: Diagnostic["code"], message: string): Diagnostic => {
    const position = doc.parsed ? locate(doc.parsed, pointer) : { line: 1, col: 1 };
    return { file, ...position, pointer, code, message };
  };
  const diagnostics: Diagnostic[] = [];
  if (!validateSchema(value)) {
    const errors = withoutIfNoise(validateSchema.errors ?? []);
    if (doc.parsed) diagnostics.push(...schemaDiagnostics(errors, doc.parsed, file, "engine config"));
    else
      for (const e of errors)
        diagnostics.push(at(e.instancePath, "INVALID_CONFIG", `engine config: ${e.instancePath} ${e.message ?? ""}`));
  }
  const { git, local } = value;
  if ((git === undefined) === (local === undefined)) {
    diagnostics.push(
      at(
        "",
        "INVALID_CONFIG",
        "engine config needs exactly one of git (a remote fleet repo) or local (a working tree, e.g. bosun serve --dir)",
      ),
    );
  }
  if (isRecord(git) && Array.isArray(git["cron"])) {
    git["cron"].forEach((expr: unknown, i) => {
      if (typeof expr !== "string") return; // the schema said so
      try {
        new CronTime(expr);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        diagnostics.push(
          at(
            `/git/cron/${i}`,
            "INVALID_VALUE",
            `engine config: git.cron[${i}] ${JSON.stringify(expr)} is not a cron expression (${why}); ` +
              'write e.g. "0 */15 * * * *" (seconds optional)',
          ),
        );
      }
    });
  }
  if (isRecord(git) && isRecord(git["webhook"])) {
    const problem = webhookSecretProblem(git["webhook"]);
    if (problem) diagnostics.push(at("/git/webhook", "INVALID_CONFIG", `engine config: git.${problem}`));
  }
  if (isRecord(value["ha"]) && isRecord(value["ha"]["leaderElection"])) {
    const le = value["ha"]["leaderElection"];
    const ms = (key: keyof typeof LEASE_DEFAULTS): number =>
      typeof le[key] === "number" ? (le[key] as number) : LEASE_DEFAULTS[key];
    const problem = timingsProblem({
      leaseDurationMs: ms("leaseDurationMs"),
      renewDeadlineMs: ms("renewDeadlineMs"),
      retryPeriodMs: ms("retryPeriodMs"),
    });
    if (problem)
      diagnostics.push(
        at(
          "/ha/leaderElection",
          "INVALID_VALUE",
          `engine config: ha.leaderElection: ${problem} (client-go's defaults: 15000, 10000, 2000)`,
        ),
      );
  }
  if (diagnostics.length > 0) throw new EngineConfigError(subject, dedupe(diagnostics));
  return { ...value, kubernetes: isRecord(value["kubernetes"]) ? value["kubernetes"] : {} } as unknown as EngineConfig;
}

function dedupe(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = formatDiagnostic(d);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
