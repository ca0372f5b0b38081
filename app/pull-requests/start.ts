/** Wires the PR workflow of `bosun serve` from the engine config's `forge:` section. */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createForgeClient, readForgeToken, type ForgeClient } from "../../clients/forge/index.ts";
import {
  BosunError,
  builtinKinds,
  computePlan,
  dependenciesOf,
  GitMirror,
  loadCredentials,
  validScope,
  type Backend,
  type GitLoopConfig,
  type Logger,
} from "../../engine/index.ts";
import { PullRequestPlanner, type PlanOutcome } from "./pr-planner.ts";
import { PullRequestService } from "./pr-service.ts";
import type { ForgeSettings } from "./settings.ts";

export interface PullRequestsRuntime {
  readonly service: PullRequestService;
  readonly planner: PullRequestPlanner;
  readonly forge: ForgeClient;
  /** Secrets that must never show in an answer (token, webhook secret). */
  readonly secrets: readonly string[];
  stop(): Promise<void>;
}

async function webhookSecret(settings: ForgeSettings): Promise<string | undefined> {
  if (settings.webhookSecretFile) {
    const text = await readFile(settings.webhookSecretFile, "utf8").catch((cause: unknown) => {
      throw new BosunError(`forge.webhookSecretFile ${settings.webhookSecretFile}`, "cannot be read", {
        cause,
        code: "FORGE_WEBHOOK_SECRET",
      });
    });
    return text.trim() || undefined;
  }
  if (settings.webhookSecretEnv) {
    const value = process.env[settings.webhookSecretEnv]?.trim();
    if (!value)
      throw new BosunError(
        `forge.webhookSecretEnv ${settings.webhookSecretEnv}`,
        "is not set; export it or drop the setting",
        { code: "FORGE_WEBHOOK_SECRET" },
      );
    return value;
  }
  return undefined;
}

export async function startPullRequests(input: {
  readonly settings: ForgeSettings;
  readonly git: GitLoopConfig;
  readonly backends: readonly Backend[];
  readonly logger: Logger;
  /** The engine's base URL (the plan links point there unless forge.publicUrl says otherwise). */
  readonly engineUrl: string;
  readonly heartbeatStaleMs?: number;
  readonly useHeartbeats?: boolean;
  readonly onOutcome?: (number: number, outcome: PlanOutcome | { kind: "error"; error: string }) => void;
}): Promise<PullRequestsRuntime> {
  const { settings, logger } = input;
  const scope = settings.scope ?? "default";
  if (!validScope(scope)) throw new BosunError(`forge.scope ${scope}`, "must match [A-Za-z0-9._/-]{1,64}");
  const token = await readForgeToken({
    ...(settings.tokenFile ? { file: settings.tokenFile } : {}),
    ...(settings.tokenEnv ? { env: settings.tokenEnv } : {}),
  });
  const secret = await webhookSecret(settings);
  const forge = createForgeClient({ kind: settings.kind, url: settings.url, repo: settings.repo, token });
  const credentials = await loadCredentials(input.git.repo.credentials);
  const mirror = await GitMirror.open({
    gitdir: `${input.git.repo.mirrorDir.replace(/\/+$/, "")}.pulls`,
    url: input.git.repo.url,
    ...(credentials ? { credentials } : {}),
  });
  const base = (settings.publicUrl ?? input.engineUrl).replace(/\/+$/, "");
  const planner = new PullRequestPlanner({
    forge,
    mirror,
    logger,
    scope,
    planUrl: (n) => `${base}/plans/${n}`,
    plan: (desired, commit, signal) =>
      computePlan(
        desired,
        {
          commit,
          now: new Date(),
          backends: input.backends,
          kinds: builtinKinds,
          dependenciesOf,
          logger,
          ...(input.heartbeatStaleMs !== undefined ? { heartbeatStaleMs: input.heartbeatStaleMs } : {}),
          ...(input.useHeartbeats !== undefined ? { useHeartbeats: input.useHeartbeats } : {}),
        },
        signal,
      ),
  });
  const service = new PullRequestService({
    planner,
    mirror,
    logger,
    ...(secret ? { webhookSecret: secret } : {}),
    maxWebhookBytes: settings.maxWebhookBytes ?? 1024 * 1024,
    pollIntervalMs: settings.pollIntervalMs ?? 60_000,
    ...(input.onOutcome ? { onOutcome: input.onOutcome } : {}),
  });
  // The token must work before the engine says it serves: a wrong one is a start-up error.
  const login = await planner.whoami();
  logger.info(
    { forge: settings.kind, repo: settings.repo, login, scope, webhook: secret !== undefined },
    "pull requests: planning PRs",
  );
  service.start();
  return { service, planner, forge, secrets: [token, ...(secret ? [secret] : [])], stop: () => service.stop() };
}

/** The engine HTTP server's PR routes: POST /hooks/forge and GET /plans/N (the full plan text). False: not ours. */
export function servePullRequestRoute(
  runtime: PullRequestsRuntime | undefined,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (!runtime) return false;
  if (path === "/hooks/forge") return runtime.service.handleWebhook(req, res);
  const m = /^\/plans\/(\d+)$/.exec(path);
  if (!m || req.method !== "GET") return false;
  const text = runtime.planner.plans.get(Number(m[1]));
  res.writeHead(text ? 200 : 404, { "content-type": "text/plain; charset=utf-8" });
  res.end(text ?? `no plan of PR #${m[1]} yet\n`);
  return true;
}
