import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeClient } from "../clients/kubernetes/index.ts";
import {
  BosunError,
  builtinKinds,
  dependenciesOf,
  EngineMetrics,
  farAgentMetrics,
  tenantClusterMetrics,
  FleetReconciler,
  LocalDirLoop,
  ReconcileLoop,
  type ApplyContext,
  type DesiredState,
  type DesiredStateConsumer,
  type LocalPassOutcome,
  type Logger,
  type ObjectStatus,
  type PassOutcome,
  type PassReport,
} from "../engine/index.ts";
import { createBackends } from "./backends.ts";
import { createHighAvailability, haSettings } from "./ha/index.ts";
import { servePullRequestRoute, startPullRequests, type PullRequestsRuntime } from "./pull-requests/index.ts";
import type { EngineConfig } from "./engine-config.ts";
import { clusterConfig } from "./kube-config.ts";
import { liveState } from "./live-state.ts";
import { createUi, type UiConfig } from "./ui/index.ts";

export interface EngineHooks {
  /** After each reconcile of a valid commit: what changed and how the rollouts stand. */
  readonly onReport?: (report: PassReport) => void;
  /** After each loop pass (applied, invalid, fetch failed …). */
  readonly onPass?: (outcome: PassOutcome) => void;
}

export interface RunningEngine {
  /** The git loop, or the local-directory loop when the config has `local:`. */
  readonly loop: ReconcileLoop | LocalDirLoop;
  readonly metrics: EngineMetrics;
  /** Base URL of /metrics, /healthz, /readyz. */
  readonly url: string;
  /** Lets the pass in flight finish (up to `graceMs`), then stops everything. */
  stop(graceMs?: number): Promise<void>;
}

/** Times the consumer and feeds the metrics. */
class MeasuredConsumer implements DesiredStateConsumer {
  constructor(
    private readonly inner: DesiredStateConsumer,
    private readonly metrics: EngineMetrics,
    private readonly onStatuses?: (desired: DesiredState, statuses: readonly ObjectStatus[]) => void,
  ) {}
  async apply(desired: DesiredState, context: ApplyContext): Promise<readonly ObjectStatus[]> {
    const end = this.metrics.passDuration.startTimer();
    try {
      const statuses = await this.inner.apply(desired, context);
      this.onStatuses?.(desired, statuses);
      end({ outcome: "applied" });
      this.metrics.lastSuccess.set(Date.now() / 1000);
      this.metrics.observeStatuses(statuses, Date.now());
      return statuses;
    } catch (error) {
      end({ outcome: "error" });
      throw error;
    }
  }
}

function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "EADDRINUSE"
          ? "is in use by another process; pick another listen.port (0 picks a free one) or stop that process"
          : error.code === "EACCES"
            ? "needs privileges (ports below 1024); pick a port from 1024 up"
            : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND"
              ? "is not an address of this machine; set listen.host to one (127.0.0.1, 0.0.0.0)"
              : `cannot be listened on (${error.code ?? error.message})`;
      reject(new BosunError(`listen ${host}:${port}`, why, { cause: error, code: "LISTEN" }));
    });
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve(`http://${a.address}:${a.port}`);
    });
  });
}

/** Consecutive fetches refused for credentials (`auth`) after which the process is not healthy. */
export const AUTH_FAILURES_UNHEALTHY = 3;

/**
 * Liveness: the loop runs and passes keep completing. A process whose loop stopped, whose pass has
 * not finished for `stuckAfterMs`, or whose fetches keep being refused for its credentials (read
 * once at start: a restart re-reads a rotated credentials file) is not healthy.
 */
export function livenessOf(
  state: {
    readonly running: boolean;
    readonly lastPassAt: number | undefined;
    readonly startedAt: number;
    readonly authFailures?: number;
  },
  now: number,
  stuckAfterMs: number,
): { ok: boolean; text: string } {
  if (!state.running) return { ok: false, text: "reconcile loop is not running\n" };
  if ((state.authFailures ?? 0) >= AUTH_FAILURES_UNHEALTHY)
    return {
      ok: false,
      text: `the git server refused the credentials ${state.authFailures} times in a row; fix them (a restart re-reads them)\n`,
    };
  const since = state.lastPassAt ?? state.startedAt;
  if (now - since > stuckAfterMs)
    return {
      ok: false,
      text: `no reconcile pass finished for ${Math.round((now - since) / 1000)} s (limit ${Math.round(stuckAfterMs / 1000)} s)\n`,
    };
  return { ok: true, text: "ok\n" };
}

/** Node's raw `listen EADDRINUSE …` from the webhook server, as an error naming git.webhook and the fix. */
function webhookListenError(error: unknown, config: EngineConfig): unknown {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (!config.git?.webhook || e.syscall !== "listen" || error instanceof BosunError) return error;
  const at = `git.webhook ${e.address ?? config.git.webhook.host ?? "127.0.0.1"}:${e.port ?? config.git.webhook.port}`;
  const why =
    e.code === "EADDRINUSE"
      ? "is in use by another process; pick another git.webhook.port or stop that process"
      : e.code === "EACCES"
        ? "needs privileges (ports below 1024); pick a port from 1024 up"
        : `cannot be listened on (${e.code ?? e.message}); check git.webhook.host and port`;
  return new BosunError(at, why, { cause: error, code: "LISTEN" });
}

/** Creates `dir` if needed and checks the engine can write there; else a BosunError naming `setting`. */
async function usableFolder(dir: string, setting: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new BosunError(`${setting} ${dir}`, `cannot be used (${code}); point it at a folder the engine can write`, {
      cause,
      code: "MIRROR_DIR",
    });
  }
}

/** The engine config's per-backend settings (`backends:`), for app/backends.ts. */
function settingsOf(config: EngineConfig): { settings?: Readonly<Record<string, unknown>> } {
  const settings = (config as { backends?: Readonly<Record<string, unknown>> }).backends;
  return settings ? { settings } : {};
}

/** Wires the engine: git loop → FleetReconciler → the registered backends, plus the HTTP endpoints. */
export async function startEngine(
  config: EngineConfig,
  logger: Logger,
  hooks: EngineHooks = {},
): Promise<RunningEngine> {
  const kc = clusterConfig(config.kubernetes, "kubernetes.kubeconfig");
  if (config.git) await usableFolder(config.git.repo.mirrorDir, "git.repo.mirrorDir");
  // The dashboard (/ui, /api): its token is read now, so a missing one stops the start.
  const uiConfig = (config as { ui?: UiConfig }).ui;
  const webhookSecretEnv = (config.git?.webhook as { secretEnv?: string } | undefined)?.secretEnv;
  const uiSecrets = webhookSecretEnv ? [process.env[webhookSecretEnv]] : [];
  // Leader election (ha:): every write of the engine's client is fenced by the shard Leases.
  const haConfig = haSettings(config.ha, config.kubernetes.stateNamespace);
  const ha = haConfig ? createHighAvailability(haConfig, kc, logger) : undefined;
  const client = new KubeClient(kc, {
    qps: config.kubernetes.qps ?? 50,
    burst: config.kubernetes.burst ?? 100,
    userAgent: "bosun",
    ...(ha ? { beforeWrite: (subject: string) => ha.fence.check(subject) } : {}),
  });
  const live = liveState(client, logger);
  const newBackends = (): ReturnType<typeof createBackends> =>
    createBackends({
      kube: client,
      logger,
      live: live.cache,
      ...(config.kubernetes.stateNamespace ? { stateNamespace: config.kubernetes.stateNamespace } : {}),
      ...settingsOf(config),
    });
  const backends = newBackends();
  const metrics = new EngineMetrics();
  ha?.registerMetrics(metrics.registry);
  farAgentMetrics.registerOn(metrics.registry);
  tenantClusterMetrics.registerOn(metrics.registry);
  const ui = await createUi(uiConfig, {
    kinds: builtinKinds,
    live: live.cache.store,
    client,
    secrets: uiSecrets,
    ...(config.git ? { mirror: { gitdir: config.git.repo.mirrorDir, ref: config.git.repo.ref ?? "HEAD" } } : {}),
    ...(config.git?.poll?.intervalMs !== undefined ? { pollIntervalMs: config.git.poll.intervalMs } : {}),
  }).catch(async (error: unknown) => {
    await live.stop().catch(() => undefined);
    client.close();
    throw error;
  });
  // One log line per rollout whenever its progress line changes (phase, counts, waves).
  const lastProgress = new Map<string, string>();
  const logProgress = (rollouts: PassReport["rollouts"]): void => {
    for (const r of rollouts) {
      const id = `${r.object.kind}/${r.object.namespace}/${r.object.name}`;
      if (lastProgress.get(id) === r.summary) continue;
      lastProgress.set(id, r.summary);
      logger.info({ rollout: id, phase: r.status.phase, ...(r.waiting ? { waiting: r.waiting } : {}) }, r.summary);
    }
  };
  const loopRef: { current?: ReconcileLoop | LocalDirLoop } = {};
  let ready = false;
  const liveness = {
    running: false,
    lastPassAt: undefined as number | undefined,
    startedAt: Date.now(),
    authFailures: 0,
  };
  // A pass retries with backoff (at most 5 min) and polls at intervalMs: none for this long means stuck.
  const stuckAfterMs = Math.max(15 * 60_000, 3 * (config.git?.poll?.intervalMs ?? 60_000));
  let requeue: NodeJS.Timeout | undefined;
  const requeueMs = config.engine?.requeueMs ?? 2000;
  const reconcilerOptions = {
    kinds: builtinKinds,
    dependenciesOf,
    logger,
    ...(config.engine?.heartbeatStaleMs !== undefined ? { heartbeatStaleMs: config.engine.heartbeatStaleMs } : {}),
    ...(config.engine?.useHeartbeats !== undefined ? { useHeartbeats: config.engine.useHeartbeats } : {}),
    onPass: (report) => {
      metrics.observeRollouts(report.rollouts);
      logProgress(report.rollouts);
      metrics.drift.set(report.changes.filter((c) => c.reason.startsWith("drift")).length);
      const errors = report.changes.filter((c) => c.error !== undefined).length;
      if (errors > 0) metrics.applyErrors.inc(errors);
      hooks.onReport?.(report);
      ui?.model.report(report);
      if (report.progressing) {
        if (requeue) clearTimeout(requeue);
        requeue = setTimeout(() => loopRef.current?.trigger("rollout progressing"), requeueMs);
        requeue.unref();
      }
    },
  } satisfies Omit<ConstructorParameters<typeof FleetReconciler>[0], "backends">;
  const sharded = ha?.consumer({
    backends: newBackends,
    reconciler: (own) => new FleetReconciler({ ...reconcilerOptions, backends: own }),
  });
  const reconciler = sharded ?? new FleetReconciler({ ...reconcilerOptions, backends });
  const consumer = new MeasuredConsumer(reconciler, metrics, (desired, statuses) =>
    ui?.model.applied(desired, statuses),
  );
  const onPass = (outcome: PassOutcome | LocalPassOutcome): void => {
    liveness.lastPassAt = Date.now();
    liveness.authFailures =
      outcome.kind === "fetch-failed" && outcome.error.kind === "auth" ? liveness.authFailures + 1 : 0;
    if (outcome.kind === "applied") ready = true;
    if (outcome.kind !== "read-failed") hooks.onPass?.(outcome); // a local read failure is only logged
    if (outcome.kind !== "read-failed") ui?.model.pass(outcome);
  };
  // Local-directory mode (development) instead of a git remote: same consumer, no status commits.
  const loop = config.local
    ? new LocalDirLoop({ config: config.local, consumer, logger, onPass })
    : new ReconcileLoop({ config: config.git, consumer, logger, onPass, ...(sharded ? { statusGate: sharded } : {}) });

  // Pull requests on a forge (forge:): started once the loop runs; their routes are on this server.
  let pulls: PullRequestsRuntime | undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(text);
        },
        (error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
    } else if (path === "/healthz") {
      const health = livenessOf(liveness, Date.now(), stuckAfterMs);
      res.writeHead(health.ok ? 200 : 503, { "content-type": "text/plain" });
      res.end(health.text);
    } else if (path === "/readyz") {
      const readiness = ha?.readiness(ready) ?? { ok: ready, text: ready ? "ready\n" : "no commit applied yet\n" };
      res.writeHead(readiness.ok ? 200 : 503, { "content-type": "text/plain" });
      res.end(readiness.text);
    } else if (servePullRequestRoute(pulls, path ?? "", req, res)) {
      // answered by the PR workflow
    } else if (ui?.server.handles(path ?? "")) {
      ui.server.handle(req, res);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  loopRef.current = loop;
  // A fatal start-up problem (port, credentials, mirror, webhook secret) leaves nothing running.
  const release = async (): Promise<void> => {
    await live.stop().catch(() => undefined);
    client.close();
    ui?.server.close();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  let url: string;
  try {
    url = await listen(server, config.listen?.host ?? "127.0.0.1", config.listen?.port ?? 9090);
    ha?.start();
    await loop.start();
    if (config.forge && config.git)
      pulls = await startPullRequests({
        settings: config.forge,
        git: config.git,
        backends,
        logger,
        engineUrl: url,
        ...(config.engine?.heartbeatStaleMs !== undefined ? { heartbeatStaleMs: config.engine.heartbeatStaleMs } : {}),
        ...(config.engine?.useHeartbeats !== undefined ? { useHeartbeats: config.engine.useHeartbeats } : {}),
      });
  } catch (error) {
    await pulls?.stop().catch(() => undefined);
    await loop.stop().catch(() => undefined);
    await ha?.stop().catch(() => undefined);
    await release();
    throw webhookListenError(error, config);
  }
  liveness.running = true;
  logger.info({ url }, "metrics and health endpoints listening");
  const running = loop;
  return {
    loop,
    metrics,
    url,
    async stop(graceMs = 30_000) {
      liveness.running = false;
      if (requeue) clearTimeout(requeue);
      await Promise.race([running.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      await pulls?.stop();
      await running.stop();
      await ha?.stop(); // hands the Leases over: a standby takes the shards on its next round
      await release();
    },
  };
}
