/**
 * One DeviceProcess on this device: rolls out its spec (fetch + verify the artifact while the old
 * version keeps running, graceful stop of the old, start of the new), watches the process, runs
 * health checks, restarts per restartPolicy with back-off, and publishes status and events.
 * All decisions are in the pure modules (restart-policy, thresholds, compute); this is the loop.
 */
import { AgentError, errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import { ociImage, specHash, type ControllerDeps } from "./controller-deps.ts";
import { dpKey, type DeviceProcess } from "../model.ts";
import type { Backend, Observation } from "../backends/types.ts";
import type { EventReason } from "../kube/events.ts";
import { INITIAL_HEALTH, healthConfig, recordProbe, type HealthState } from "../health/thresholds.ts";
import { probeOnce } from "../health/probe.ts";
import { computeStatus, type Observed } from "../status/compute.ts";
import { artifactVersionOf, buildLaunch, type Launch } from "./launch.ts";
import type { ProcessRecord } from "./record.ts";
import { restartDelay, shouldRestart, terminationReason, isSuccess, type Termination } from "./restart-policy.ts";
import { isoNow } from "../iso-time.ts";
import { Wakeup } from "../wakeup.ts";

export class ProcessController {
  readonly key: string;
  private dp: DeviceProcess | undefined;
  private deleted = false;
  private record: ProcessRecord | undefined;
  private obs: Observed;
  private health: HealthState = INITIAL_HEALTH;
  private nextProbeAt = 0;
  private restartAt: number | undefined;
  private pendingTermination: Termination | undefined;
  private artifactRetryAt = 0;
  private artifactFailures = 0;
  private lastArtifactError = "";
  private desiredHash = "";
  private lastStatusJson = "";
  private readonly wakeup = new Wakeup();
  private readonly log: Logger;
  /** Resolves when the loop has ended (after a delete). */
  done: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ControllerDeps,
    meta: { namespace: string; name: string },
    record?: ProcessRecord,
  ) {
    this.key = dpKey(meta);
    this.log = deps.log.child({ deviceProcess: this.key });
    this.record = record;
    this.obs = {
      artifact: record ? "Downloaded" : "Pending",
      process: "NotStarted",
      health: "Unknown",
      restartCount: record?.restartCount ?? 0,
      lastTerminationReason: record?.lastTerminationReason ?? "",
      ...(record ? { artifactVersion: record.launch.artifactVersion } : {}),
    };
  }

  get current(): DeviceProcess | undefined {
    return this.dp;
  }

  update(dp: DeviceProcess): void {
    this.dp = dp;
    this.wakeup.wake();
  }

  delete(): void {
    this.deleted = true;
    this.wakeup.wake();
  }

  start(signal: AbortSignal): void {
    this.done = this.loop(signal);
  }

  private async loop(signal: AbortSignal): Promise<void> {
    if (this.record) await this.adopt(signal);
    while (!signal.aborted) {
      try {
        if (this.deleted) {
          await this.teardown(signal);
          return;
        }
        await this.reconcile(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.log.error("reconcile failed", { error: errorMessage(err) });
      }
      this.publish();
      await this.wait(signal);
    }
  }

  private wait(signal: AbortSignal): Promise<void> {
    const now = Date.now();
    const backend = this.record?.backend ?? this.dp?.spec.execution.backend ?? "exec";
    const candidates = [now + this.deps.monitorIntervalMs(backend)];
    if (this.restartAt !== undefined) candidates.push(this.restartAt);
    if (this.obs.process === "Running" && this.dp?.spec.healthCheck) candidates.push(this.nextProbeAt);
    if (this.obs.artifact === "Failed") candidates.push(this.artifactRetryAt);
    const ms = Math.max(0, Math.min(...candidates) - now);
    return this.wakeup.wait(signal, ms);
  }

  private emit(type: "Normal" | "Warning", reason: EventReason, message: string): void {
    if (this.dp) this.deps.event(this.dp.metadata, type, reason, message);
  }

  private publish(): void {
    if (!this.dp || this.deleted) return;
    const status = computeStatus(
      {
        ...this.obs,
        ...(this.dp.metadata.generation !== undefined ? { observedGeneration: this.dp.metadata.generation } : {}),
      },
      this.dp.status?.conditions,
      isoNow(),
    );
    const json = JSON.stringify({
      ...status,
      conditions: status.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
    });
    if (json === this.lastStatusJson) return;
    this.lastStatusJson = json;
    this.dp = { ...this.dp, status };
    this.deps.publish(this.dp.metadata, status);
  }

  /** After an agent restart: the recorded process is running → keep it (no duplicate). */
  private async adopt(signal: AbortSignal): Promise<void> {
    const r = this.record;
    if (!r) return;
    const obs = await this.deps
      .backend(r.backend)
      .observe(r.launch, signal)
      .catch((err: unknown) => {
        this.log.warn("cannot observe the recorded process", { error: errorMessage(err) });
        return { state: "missing" } as Observation;
      });
    if (obs.state === "running") {
      this.setRunning(obs);
      this.log.info("re-adopted the running process", { pid: obs.pid });
      this.adopted = obs.pid;
    } else if (r.finished) {
      // Ended for good before the agent restarted (Never/OnFailure): do not run it again.
      this.obs = { ...this.obs, process: "Exited", willRestart: false, exitSucceeded: r.finished.succeeded };
    }
  }
  private adopted: number | undefined;

  private setRunning(obs: Observation): void {
    this.obs = { ...this.obs, process: "Running", willRestart: false };
    if (obs.pid !== undefined) this.obs.pid = obs.pid;
    if (obs.startTime !== undefined) this.obs.startTime = obs.startTime;
    if (obs.restarts !== undefined && this.record?.backend === "systemd") this.obs.restartCount = obs.restarts;
  }

  private async reconcile(signal: AbortSignal): Promise<void> {
    const dp = this.dp;
    if (!dp) return; // adopted, spec not (yet) known: keep the last known state running
    if (this.adopted !== undefined) {
      this.emit("Normal", "ProcessAdopted", `Re-adopted running process (PID: ${this.adopted}) after an agent restart`);
      this.adopted = undefined;
    }
    const env = await this.deps.resolveEnv(dp, signal);
    const hash = specHash(dp, env);
    if (hash !== this.desiredHash) {
      // A new desired spec: retry its artifact at once, whatever the back-off of an earlier one.
      this.desiredHash = hash;
      this.artifactRetryAt = 0;
      this.artifactFailures = 0;
    }
    if (this.record?.specHash === hash && this.obs.artifact === "Failed") {
      // Back to the spec that runs: its artifact is verified and installed.
      const { artifactReason: _r, artifactMessage: _m, ...rest } = this.obs;
      this.obs = { ...rest, artifact: "Downloaded" };
      this.lastArtifactError = "";
    }
    if (this.record?.specHash !== hash) {
      await this.rollout(dp, env, hash, signal);
      return;
    }
    await this.monitor(dp, signal);
  }

  private async rollout(
    dp: DeviceProcess,
    env: Record<string, string>,
    hash: string,
    signal: AbortSignal,
  ): Promise<void> {
    if (Date.now() < this.artifactRetryAt) return;
    const version = artifactVersionOf(dp.spec);
    let artifact: { path: string; sha256: string };
    try {
      artifact = await this.deps.fetchArtifact(dp, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      const code = err instanceof AgentError ? err.kind : "DownloadFailed";
      const message = errorMessage(err);
      this.obs = { ...this.obs, artifact: "Failed", artifactReason: code, artifactMessage: message };
      this.artifactFailures++;
      this.artifactRetryAt = Date.now() + restartDelay(this.artifactFailures - 1, this.deps.artifactBackoff);
      if (message !== this.lastArtifactError) {
        this.emit("Warning", code === "ChecksumMismatch" ? "ChecksumMismatch" : "ArtifactDownloadFailed", message);
        this.lastArtifactError = message;
      }
      this.log.warn("artifact not installed; the running version (if any) stays", { error: message });
      return;
    }
    this.artifactFailures = 0;
    this.artifactRetryAt = 0;
    this.lastArtifactError = "";
    const { artifactReason: _r, artifactMessage: _m, ...rest } = this.obs;
    this.obs = { ...rest, artifact: "Downloaded" };
    this.emit(
      "Normal",
      "ArtifactDownloaded",
      `Successfully downloaded artifact from ${dp.spec.artifact.url} (sha256 verified)`,
    );

    const launch = buildLaunch({
      key: this.key,
      spec: dp.spec,
      env,
      artifactPath: artifact.path,
      artifactSha256: artifact.sha256,
      artifactVersion: version,
      stopTimeoutSec: this.deps.stopTimeoutSec,
      capabilities: this.deps.capabilities(dp),
      ...(dp.spec.execution.backend === "container" && dp.spec.artifact.type === "oci" ? { image: ociImage(dp) } : {}),
    });
    const old = this.record;
    if (old) {
      this.emit("Normal", "Upgrading", `Stopping ${old.launch.artifactVersion} to start ${version}`);
      await this.deps.backend(old.backend).stop(old.launch, signal);
      await this.deps.backend(old.backend).forget?.(old.launch, signal);
      if (old.backend !== dp.spec.execution.backend) await this.deps.backend(old.backend).remove(old.launch, signal);
    }
    this.record = {
      namespace: dp.metadata.namespace,
      name: dp.metadata.name,
      backend: dp.spec.execution.backend,
      specHash: hash,
      launch,
      restartCount: 0,
      lastTerminationReason: "",
    };
    this.obs = {
      ...this.obs,
      artifactVersion: version,
      restartCount: 0,
      lastTerminationReason: old ? "Upgraded" : this.obs.lastTerminationReason,
    };
    this.restartAt = undefined;
    await this.deps.records.save(this.record);
    await this.startProcess(false, signal);
    if (old && this.obs.process === "Running") {
      await this.deps.backend(dp.spec.execution.backend).retire?.(old.launch, launch, signal);
    }
    if (this.obs.process === "Running") await this.deps.pruneArtifacts(this.key, [artifact.sha256]);
  }

  private async startProcess(isRestart: boolean, signal: AbortSignal): Promise<void> {
    const r = this.record;
    if (!r) return;
    const backend = this.deps.backend(r.backend);
    this.health = INITIAL_HEALTH;
    const hc = this.dp?.spec.healthCheck;
    this.nextProbeAt = Date.now() + (hc ? healthConfig(hc).periodMs : 0);
    try {
      await backend.prepare(r.launch, signal);
      const obs = await backend.start(r.launch, signal);
      if (obs.state !== "running")
        throw new AgentError(
          "StartFailed",
          `DeviceProcess ${this.key}`,
          `process is not running right after start (${obs.state}${obs.exitCode !== undefined ? `, exit code ${obs.exitCode}` : ""})`,
        );
      this.setRunning(obs);
      this.obs.health = hc ? "Unknown" : "None";
      delete this.obs.processMessage;
      this.restartAt = undefined;
      this.emit(
        "Normal",
        isRestart ? "ProcessRestarted" : "ProcessStarted",
        `Started ${r.launch.unitName} ${r.launch.artifactVersion} process (PID: ${obs.pid ?? "?"})`,
      );
    } catch (err) {
      if (signal.aborted) throw err;
      const message = errorMessage(err);
      const again = shouldRestart(r.launch.restartPolicy, {});
      this.obs = { ...this.obs, process: "StartFailed", processMessage: message, willRestart: again };
      this.emit("Warning", "ProcessStartFailed", message);
      if (again) this.restartAt = Date.now() + restartDelay(this.obs.restartCount, this.deps.restartBackoff);
    }
  }

  private async monitor(dp: DeviceProcess, signal: AbortSignal): Promise<void> {
    const r = this.record;
    if (!r) return;
    const backend = this.deps.backend(r.backend);
    if (this.restartAt !== undefined) {
      if (Date.now() < this.restartAt) return;
      this.restartAt = undefined;
      this.obs.restartCount++;
      r.restartCount = this.obs.restartCount;
      await this.deps.records.save(r);
      await this.startProcess(true, signal);
      return;
    }
    if (this.obs.process !== "Running" && this.obs.process !== "NotStarted") return; // ended for good
    let obs: Observation;
    try {
      obs = await backend.observe(r.launch, signal);
      delete this.obs.unknown;
    } catch (err) {
      this.obs.unknown = true; // phase Unknown until the backend answers again
      throw err;
    }
    if (obs.state === "running") {
      if (this.obs.process !== "Running" || obs.pid !== this.obs.pid) this.setRunning(obs);
      if (obs.restarts !== undefined && r.backend === "systemd") this.obs.restartCount = obs.restarts;
      if (dp.spec.healthCheck && Date.now() >= this.nextProbeAt) await this.probe(dp, backend, r.launch, signal);
      return;
    }
    if (this.obs.process === "NotStarted") {
      // Recorded but not running (e.g. the device rebooted): start it again.
      await this.startProcess(false, signal);
      return;
    }
    const t: Termination = {
      ...(obs.exitCode !== undefined ? { exitCode: obs.exitCode } : {}),
      ...(obs.signal ? { signal: obs.signal } : {}),
      ...this.pendingTermination,
    };
    this.pendingTermination = undefined;
    await this.ended(t, backend, r, signal);
  }

  /** The process ended; `byAgent`: the agent stopped it (health), so the agent restarts it even on systemd. */
  private async ended(
    t: Termination,
    backend: Backend,
    r: ProcessRecord,
    signal: AbortSignal,
    byAgent = false,
  ): Promise<void> {
    const reason = terminationReason(t);
    await backend.forget?.(r.launch, signal);
    const again = (byAgent || !backend.selfRestarting) && shouldRestart(r.launch.restartPolicy, t);
    const { pid: _p, startTime: _s, ...rest } = this.obs;
    this.obs = {
      ...rest,
      process: "Exited",
      lastTerminationReason: reason,
      willRestart: again,
      exitSucceeded: isSuccess(t),
      processMessage: `process ended: ${reason}`,
    };
    r.lastTerminationReason = reason;
    if (!again && !backend.selfRestarting) r.finished = { succeeded: isSuccess(t) };
    await this.deps.records.save(r);
    this.emit(
      isSuccess(t) ? "Normal" : "Warning",
      "ProcessExited",
      `Process ${r.launch.unitName} ended: ${reason}${again ? "; restarting" : ""}`,
    );
    if (again) this.restartAt = Date.now() + restartDelay(this.obs.restartCount, this.deps.restartBackoff);
  }

  private async probe(dp: DeviceProcess, backend: Backend, l: Launch, signal: AbortSignal): Promise<void> {
    const spec = dp.spec.healthCheck;
    if (!spec) return;
    const cfg = healthConfig(spec);
    this.nextProbeAt = Date.now() + cfg.periodMs;
    const ok = await probeOnce(spec, backend, l, cfg.timeoutMs, signal);
    const out = recordProbe(this.health, ok, cfg);
    this.health = out.state;
    this.obs.health = out.state.health;
    if (out.transition === "Healthy") this.emit("Normal", "HealthCheckPassed", "Health check passed");
    if (out.transition === "Unhealthy") {
      this.emit("Warning", "HealthCheckFailed", `Health check failed ${cfg.failureThreshold} time(s) in a row`);
      const r = this.record;
      if (!r) return;
      this.log.warn("unhealthy: stopping the process", { pid: this.obs.pid });
      await backend.stop(l, signal);
      const obs = await backend.observe(l, signal);
      this.pendingTermination = undefined;
      await this.ended(
        {
          healthCheckFailed: true,
          ...(obs.exitCode !== undefined ? { exitCode: obs.exitCode } : {}),
          ...(obs.signal ? { signal: obs.signal } : {}),
        },
        backend,
        r,
        signal,
        true,
      );
    }
  }

  private async teardown(signal: AbortSignal): Promise<void> {
    const r = this.record;
    if (r) {
      await this.deps.backend(r.backend).remove(r.launch, signal);
      await this.deps.records.delete(r.launch.unitName);
      this.log.info("DeviceProcess deleted: process stopped and removed");
    }
    await this.deps.pruneArtifacts(this.key, []);
  }
}
