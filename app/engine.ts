import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeClient, loadKubeConfig } from "../clients/kubernetes/index.ts";
import {
  builtinKinds,
  dependenciesOf,
  EngineMetrics,
  farAgentMetrics,
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
import type { EngineConfig } from "./engine-config.ts";
import { liveState } from "./live-state.ts";

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
  ) {}
  async apply(desired: DesiredState, context: ApplyContext): Promise<readonly ObjectStatus[]> {
    const end = this.metrics.passDuration.startTimer();
    try {
      const statuses = await this.inner.apply(desired, context);
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
    server.once("error", reject);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve(`http://${a.address}:${a.port}`);
    });
  });
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
  const kc = loadKubeConfig(
    config.kubernetes.kubeconfig
      ? {
          kubeconfigPath: config.kubernetes.kubeconfig,
          ...(config.kubernetes.context ? { context: config.kubernetes.context } : {}),
        }
      : { default: true },
  );
  const client = new KubeClient(kc, {
    qps: config.kubernetes.qps ?? 50,
    burst: config.kubernetes.burst ?? 100,
    userAgent: "bosun",
  });
  const live = liveState(client, logger);
  const backends = createBackends({
    kube: client,
    logger,
    live: live.cache,
    ...(config.kubernetes.stateNamespace ? { stateNamespace: config.kubernetes.stateNamespace } : {}),
    ...settingsOf(config),
  });
  const metrics = new EngineMetrics();
  farAgentMetrics.registerOn(metrics.registry);
  const loopRef: { current?: ReconcileLoop | LocalDirLoop } = {};
  let ready = false;
  let requeue: NodeJS.Timeout | undefined;
  const requeueMs = config.engine?.requeueMs ?? 2000;
  const reconciler = new FleetReconciler({
    backends,
    kinds: builtinKinds,
    dependenciesOf,
    logger,
    ...(config.engine?.heartbeatStaleMs !== undefined ? { heartbeatStaleMs: config.engine.heartbeatStaleMs } : {}),
    ...(config.engine?.useHeartbeats !== undefined ? { useHeartbeats: config.engine.useHeartbeats } : {}),
    onPass: (report) => {
      metrics.drift.set(report.changes.filter((c) => c.reason.startsWith("drift")).length);
      const errors = report.changes.filter((c) => c.error !== undefined).length;
      if (errors > 0) metrics.applyErrors.inc(errors);
      hooks.onReport?.(report);
      if (report.progressing) {
        if (requeue) clearTimeout(requeue);
        requeue = setTimeout(() => loopRef.current?.trigger("rollout progressing"), requeueMs);
        requeue.unref();
      }
    },
  });
  const consumer = new MeasuredConsumer(reconciler, metrics);
  const onPass = (outcome: PassOutcome | LocalPassOutcome): void => {
    if (outcome.kind === "applied") ready = true;
    if (outcome.kind !== "read-failed") hooks.onPass?.(outcome); // a local read failure is only logged
  };
  // Local-directory mode (development) instead of a git remote: same consumer, no status commits.
  const loop = config.local
    ? new LocalDirLoop({ config: config.local, consumer, logger, onPass })
    : new ReconcileLoop({ config: config.git, consumer, logger, onPass });

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
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok\n");
    } else if (path === "/readyz") {
      res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" });
      res.end(ready ? "ready\n" : "no commit applied yet\n");
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  loopRef.current = loop;
  const url = await listen(server, config.listen?.host ?? "127.0.0.1", config.listen?.port ?? 9090);
  await loop.start();
  logger.info({ url }, "metrics and health endpoints listening");
  const running = loop;
  return {
    loop,
    metrics,
    url,
    async stop(graceMs = 30_000) {
      if (requeue) clearTimeout(requeue);
      await Promise.race([running.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      await running.stop();
      await live.stop();
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
