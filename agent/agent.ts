/**
 * The device agent: watches the DeviceProcesses scheduled to this device and runs one
 * ProcessController per object; writes status, events and the heartbeat Lease. Stopping the agent
 * never stops the processes it runs; a new agent re-adopts them from the state dir.
 */
import { setMaxListeners } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "./errors.ts";
import type { Logger } from "./log.ts";
import { DEVICE_LABEL, dpKey, safeName, type BackendName, type DeviceProcess } from "./model.ts";
import { fetchArtifact, pruneArtifacts } from "./artifacts/fetch.ts";
import type { TlsOptions } from "./net/request.ts";
import { ContainerBackend, type ContainerBackendOptions } from "./backends/container.ts";
import { ExecBackend } from "./backends/exec.ts";
import { InitdBackend } from "./backends/initd.ts";
import { SystemdBackend } from "./backends/systemd.ts";
import type { Backend } from "./backends/types.ts";
import type { KubeClient } from "./kube/client.ts";
import { EventRecorder } from "./kube/events.ts";
import { Heartbeat } from "./kube/lease.ts";
import { readPullSecret, resolveEnv } from "./kube/refs.ts";
import { StatusWriter } from "./kube/status-writer.ts";
import { watchDeviceProcesses } from "./kube/watch.ts";
import { ProcessController } from "./supervise/controller.ts";
import { RecordStore } from "./supervise/record.ts";
import type { BackoffConfig } from "./supervise/restart-policy.ts";

export interface AgentOptions {
  device: string;
  client: KubeClient;
  log: Logger;
  stateDir: string;
  /** Watch only this namespace (default: all). */
  namespace?: string;
  leaseNamespace: string;
  leaseIntervalMs: number;
  allowInsecureHttp: boolean;
  artifactTls?: TlsOptions;
  artifactAttempts?: number;
  stopTimeoutSec: number;
  /** Process check interval for exec/initd (cheap /proc reads); systemd/container use max(this, 5 s). */
  monitorIntervalMs: number;
  restartBackoff: BackoffConfig;
  artifactBackoff: BackoffConfig;
  initdDir?: string;
  systemdUnitDir?: string;
  container?: ContainerBackendOptions;
}

/** Annotation listing capabilities kept in a systemd unit's bounding set (default: none). */
export const CAPABILITIES_ANNOTATION = "bosun.dev/capabilities";

export class Agent {
  readonly controllers = new Map<string, ProcessController>();
  readonly status: StatusWriter;
  readonly events: EventRecorder;
  readonly heartbeat: Heartbeat;
  private readonly records: RecordStore;
  private readonly backends = new Map<BackendName, Backend>();
  private readonly envCache = new Map<string, { rv: string; env: Record<string, string> }>();
  /** Controllers tearing down; a re-created object waits for them (one unit name, one owner). */
  private readonly deleting = new Map<string, Promise<void>>();
  private synced = false;
  private ctrl = new AbortController();
  private loops: Promise<unknown>[] = [];

  constructor(private readonly o: AgentOptions) {
    // One listener per controller wait, plus the writer, recorder, heartbeat and watch: not a leak.
    setMaxListeners(0, this.ctrl.signal);
    this.records = new RecordStore(o.stateDir);
    this.status = new StatusWriter(o.client, o.log);
    this.events = new EventRecorder(o.client, o.device, o.log);
    this.heartbeat = new Heartbeat(o.client, o.device, o.leaseNamespace, o.leaseIntervalMs, o.log);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  backend(name: BackendName): Backend {
    let b = this.backends.get(name);
    if (!b) {
      if (name === "exec") b = new ExecBackend({ stateDir: this.o.stateDir });
      else if (name === "initd")
        b = new InitdBackend({ stateDir: this.o.stateDir, ...(this.o.initdDir ? { initDir: this.o.initdDir } : {}) });
      else if (name === "systemd")
        b = new SystemdBackend(this.o.systemdUnitDir ? { unitDir: this.o.systemdUnitDir } : {});
      else
        b = new ContainerBackend({
          logDir: join(this.o.stateDir, "logs"),
          authFile: (l) => this.authFile(l.key),
          ...this.o.container,
        });
      this.backends.set(name, b);
    }
    return b;
  }

  /** The pull secret of a container DeviceProcess as a 0600 auth file for `podman pull --authfile`. */
  private async authFile(key: string): Promise<string | undefined> {
    const dp = this.controllers.get(key)?.current;
    const ref = dp?.spec.artifact.pullSecretRef;
    if (!dp || !ref) return undefined;
    const json = await readPullSecret(this.o.client, dp.metadata.namespace, ref.name);
    if (!json) return undefined;
    const dir = join(this.o.stateDir, "auth");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${safeName(key)}.json`);
    await writeFile(path, json, { mode: 0o600 });
    return path;
  }

  private artifactDir(key: string): string {
    return join(this.o.stateDir, "artifacts", safeName(key));
  }

  private newController(
    meta: { namespace: string; name: string },
    record?: Awaited<ReturnType<RecordStore["all"]>>[number],
  ): ProcessController {
    const o = this.o;
    const c = new ProcessController(
      {
        backend: (n) => this.backend(n),
        records: this.records,
        fetchArtifact: (dp, signal) =>
          fetchArtifact(dp.spec.artifact, {
            dir: this.artifactDir(dpKey(dp.metadata)),
            subject: `DeviceProcess ${dpKey(dp.metadata)}`,
            allowInsecureHttp: o.allowInsecureHttp,
            signal,
            attempts: o.artifactAttempts ?? 4,
            backoffMs: 500,
            ...(o.artifactTls ? { tls: o.artifactTls } : {}),
            dockerConfigJson: () =>
              dp.spec.artifact.pullSecretRef
                ? readPullSecret(o.client, dp.metadata.namespace, dp.spec.artifact.pullSecretRef.name, signal)
                : Promise.resolve(undefined),
            onRetry: (attempt, err, delayMs) =>
              o.log.warn("artifact download failed; retrying", {
                deviceProcess: dpKey(dp.metadata),
                attempt,
                error: errorMessage(err),
                retryInMs: delayMs,
              }),
          }),
        pruneArtifacts: (key, keep) => pruneArtifacts(this.artifactDir(key), keep),
        // Secret/ConfigMap values are read once per DeviceProcess generation (like a Pod's env,
        // a changed Secret applies with the next spec change), and kept through partitions.
        resolveEnv: async (dp, signal) => {
          const needsApi = (dp.spec.execution.env ?? []).some((e) => e.valueFrom);
          if (!needsApi) return resolveEnv(o.client, dp, signal);
          const key = dpKey(dp.metadata);
          const cached = this.envCache.get(key);
          const version = String(dp.metadata.generation ?? dp.metadata.resourceVersion ?? "");
          if (cached && cached.rv === version) return cached.env;
          try {
            const env = await resolveEnv(o.client, dp, signal);
            this.envCache.set(key, { rv: version, env });
            return env;
          } catch (err) {
            if (cached) return cached.env; // partition: keep the last known environment
            throw new Error(`cannot resolve env of DeviceProcess ${key}: ${errorMessage(err)}`, { cause: err });
          }
        },
        publish: (meta, status) => this.status.set(meta.namespace, meta.name, status),
        event: (meta, type, reason, message) => this.events.emit({ meta, type, reason, message }),
        log: o.log,
        stopTimeoutSec: o.stopTimeoutSec,
        monitorIntervalMs: (b) =>
          b === "exec" || b === "initd" ? o.monitorIntervalMs : Math.max(o.monitorIntervalMs, 5000),
        restartBackoff: o.restartBackoff,
        artifactBackoff: o.artifactBackoff,
        capabilities: (dp) =>
          (dp.metadata as { annotations?: Record<string, string> }).annotations?.[CAPABILITIES_ANNOTATION]?.split(",")
            .map((s) => s.trim())
            .filter(Boolean) ?? [],
      },
      meta,
      record,
    );
    this.controllers.set(c.key, c);
    const before = this.deleting.get(c.key);
    if (before) void before.then(() => c.start(this.ctrl.signal));
    else c.start(this.ctrl.signal);
    return c;
  }

  private onEvent(type: "ADDED" | "MODIFIED" | "DELETED", dp: DeviceProcess): void {
    const key = dpKey(dp.metadata);
    if (dp.spec?.deviceRef?.name !== this.o.device) {
      this.o.log.warn("ignoring a DeviceProcess labelled for this device whose spec.deviceRef names another device", {
        deviceProcess: key,
        deviceRef: dp.spec?.deviceRef?.name,
      });
      return;
    }
    const c = this.controllers.get(key);
    if (type === "DELETED" || dp.metadata.deletionTimestamp) {
      if (!c) return;
      this.controllers.delete(key);
      this.status.drop(dp.metadata.namespace, dp.metadata.name);
      this.retire(c);
      return;
    }
    (c ?? this.newController(dp.metadata)).update(dp);
  }

  private retire(c: ProcessController): void {
    c.delete();
    const done = c.done.finally(() => {
      if (this.deleting.get(c.key) === done) this.deleting.delete(c.key);
    });
    this.deleting.set(c.key, done);
  }

  async start(): Promise<void> {
    const signal = this.ctrl.signal;
    for (const r of await this.records.all()) this.newController({ namespace: r.namespace, name: r.name }, r);
    this.o.client.onReachability((r) => {
      if (r === "unreachable")
        this.o.log.warn("Kubernetes API server unreachable; processes keep running on the last known state");
      else this.o.log.info("Kubernetes API server reachable; reporting current status");
    });
    this.loops = [
      this.status.start(signal),
      this.events.run(signal),
      this.heartbeat.run(signal),
      watchDeviceProcesses({
        client: this.o.client,
        labelSelector: `${DEVICE_LABEL}=${this.o.device}`,
        ...(this.o.namespace ? { namespace: this.o.namespace } : {}),
        signal,
        log: this.o.log,
        onEvent: (e) => this.onEvent(e.type, e.object),
        onSynced: () => {
          if (!this.synced) {
            // Recorded processes whose DeviceProcess no longer exists: stop and remove them.
            for (const [key, c] of this.controllers) {
              if (!c.current) {
                this.controllers.delete(key);
                this.retire(c);
              }
            }
          }
          this.synced = true;
        },
      }),
    ];
    this.o.log.info("device agent started", {
      device: this.o.device,
      namespace: this.o.namespace ?? "(all)",
      stateDir: this.o.stateDir,
    });
  }

  /** Stops the agent's loops; the processes keep running. */
  async stop(): Promise<void> {
    this.ctrl.abort(new Error("agent stopping"));
    await Promise.allSettled([...this.loops, ...[...this.controllers.values()].map((c) => c.done)]);
    this.o.client.close();
  }
}
