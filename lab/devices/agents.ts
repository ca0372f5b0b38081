/**
 * The agents of the simulated devices (I/O): one list+watch over the DeviceProcesses of the
 * namespace; for each process on a simulated, reachable device whose spec changed since it was
 * last handled, report it unavailable at once (Pending), then after the device's delay Running on
 * the new version — or Failed when the failure rule says so. Per process only a small record is
 * kept; writes are merge patches of the status subresource, as the real agent does.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import { isGone, isKubeApiError, isNotFound } from "../../clients/kubernetes/errors.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import type { Logger } from "../../engine/log/logger.ts";
import { rolloutDelay, simulatedPid, type DelayRange, type FailureDecider } from "./decide.ts";
import { errorMessage } from "./errors.ts";
import type { Pool } from "./pool.ts";
import { DP_API_VERSION, DP_KIND, processView, type ProcessView } from "./process-view.ts";
import { patchStatus } from "./status-patch.ts";
import { renderFailed, renderRunning, renderUpdating, type SimStatus } from "./status.ts";

export const FIELD_MANAGER = "bosun-device-sim";

type State = "updating" | "running" | "failed";

/** What the simulator remembers of one DeviceProcess. */
interface Rec {
  readonly name: string;
  readonly device: string;
  specKey: string;
  generation: number;
  version: string;
  url: string;
  labels: Readonly<Record<string, string>>;
  state: State;
  /** The version the device runs (undefined before the first rollout finished). */
  installed: string | undefined;
  /** Bumped on every new play; a play whose seq is stale stops. */
  seq: number;
}

export interface AgentStats {
  processes: number;
  updating: number;
  running: number;
  failed: number;
  statusWrites: number;
  statusWriteErrors: number;
}

export interface AgentsOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly seed: string | number;
  readonly delayMs: DelayRange;
  /** Device name → its labels, for the devices this simulator plays; undefined for others. */
  readonly deviceLabels: (device: string) => Readonly<Record<string, string>> | undefined;
  readonly unreachable: (device: string) => boolean;
  readonly pool: Pool;
  readonly log: Logger;
  readonly now?: () => number;
}

export class Agents {
  private readonly records = new Map<string, Rec>();
  private decide: FailureDecider;
  private writes = 0;
  private writeErrors = 0;
  private readonly now: () => number;
  private signal: AbortSignal | undefined;
  private readyResolve: (() => void) | undefined;
  /** Resolves once the first list has been handled. */
  readonly ready: Promise<void>;

  constructor(
    private readonly opts: AgentsOptions,
    decide: FailureDecider,
  ) {
    this.decide = decide;
    this.now = opts.now ?? Date.now;
    this.ready = new Promise((resolve) => {
      this.readyResolve = resolve;
    });
  }

  stats(): AgentStats {
    const s: AgentStats = {
      processes: this.records.size,
      updating: 0,
      running: 0,
      failed: 0,
      statusWrites: this.writes,
      statusWriteErrors: this.writeErrors,
    };
    for (const r of this.records.values()) s[r.state]++;
    return s;
  }

  /** New failure rules; processes whose outcome flips go Running ↔ Failed after their delay. */
  setFailure(decide: FailureDecider): void {
    this.decide = decide;
    for (const r of this.records.values()) {
      if (r.state === "updating") continue;
      const fails = this.verdict(r) !== undefined;
      if (fails !== (r.state === "failed")) this.play(r, false);
    }
  }

  private verdict(r: Rec): ReturnType<FailureDecider> {
    const deviceLabels = this.opts.deviceLabels(r.device) ?? {};
    return this.decide({ device: r.device, labels: { ...deviceLabels, ...r.labels }, version: r.version });
  }

  /** The list+watch loop; returns when the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    const { client, namespace, log } = this.opts;
    let rv = "";
    let backoff = 500;
    while (!signal.aborted) {
      try {
        if (rv === "") {
          const seen = new Set<string>();
          for await (const page of client.listPages(DP_API_VERSION, DP_KIND, { namespace, signal })) {
            for (const o of page.items) {
              seen.add(o.metadata.name);
              this.observe(o);
            }
            rv = page.resourceVersion;
          }
          for (const name of [...this.records.keys()]) if (!seen.has(name)) this.forget(name);
          this.readyResolve?.();
        }
        for await (const ev of client.watch(DP_API_VERSION, DP_KIND, {
          namespace,
          resourceVersion: rv,
          timeoutSeconds: 300,
          signal,
        })) {
          if (ev.type === "DELETED") this.forget(ev.object.metadata.name);
          else if (ev.type !== "BOOKMARK") this.observe(ev.object);
          rv = ev.object.metadata.resourceVersion ?? rv;
          backoff = 500;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (isGone(err)) {
          rv = "";
          continue;
        }
        log.warn({ namespace, err: errorMessage(err), retryInMs: backoff }, "DeviceProcess watch failed; retrying");
        await sleep(backoff, undefined, { signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, 15_000);
      }
    }
  }

  private forget(name: string): void {
    const r = this.records.get(name);
    if (r) r.seq++;
    this.records.delete(name);
  }

  /** Handles one DeviceProcess as listed or watched. */
  observe(o: KubeObject): void {
    const v = processView(o);
    if (v.device === "" || this.opts.deviceLabels(v.device) === undefined || this.opts.unreachable(v.device)) return;
    const r = this.records.get(v.name);
    if (r !== undefined) {
      r.labels = v.labels;
      if (r.specKey === v.specKey) return;
      this.update(r, v);
      this.play(r, true);
      return;
    }
    const rec: Rec = {
      name: v.name,
      device: v.device,
      specKey: v.specKey,
      generation: v.generation,
      version: v.version,
      url: v.url,
      labels: v.labels,
      state: "updating",
      installed: undefined,
      seq: 0,
    };
    this.records.set(v.name, rec);
    if (this.adoptable(rec, v)) return;
    rec.installed = v.observed.artifactVersion;
    this.play(rec, true);
  }

  private update(r: Rec, v: ProcessView): void {
    r.specKey = v.specKey;
    r.generation = v.generation;
    r.version = v.version;
    r.url = v.url;
  }

  /** Already rolled (by an earlier run) to exactly the outcome this run would produce: keep, write nothing. */
  private adoptable(r: Rec, v: ProcessView): boolean {
    const o = v.observed;
    if (o.observedGeneration !== v.generation || o.artifactVersion !== v.version) return false;
    const fails = this.verdict(r) !== undefined;
    if (o.phase === (fails ? "Failed" : "Running")) {
      r.state = fails ? "failed" : "running";
      r.installed = v.version;
      return true;
    }
    return false;
  }

  /** Plays the agent: optionally report unavailable now, then after the delay report the outcome. */
  private play(r: Rec, announce: boolean): void {
    const seq = ++r.seq;
    r.state = "updating";
    const startedAt = this.now();
    const delay = rolloutDelay(this.opts.seed, this.opts.delayMs, r.device, `${r.specKey}#${seq}`);
    const run = async (): Promise<void> => {
      const signal = this.signal;
      if (signal === undefined) return;
      if (announce) {
        const prev = r.installed;
        if (
          !(await this.write(
            r,
            seq,
            renderUpdating({
              generation: r.generation,
              url: r.url,
              ...(prev !== undefined ? { previousVersion: prev } : {}),
              now: startedAt,
            }),
          ))
        )
          return;
      }
      const wait = startedAt + delay - this.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal.aborted || r.seq !== seq) return;
      const v = this.verdict(r);
      const done = {
        generation: r.generation,
        version: r.version,
        url: r.url,
        startedAt,
        finishedAt: this.now(),
        pid: simulatedPid(this.opts.seed, r.device, r.specKey),
        upgraded: r.installed !== undefined && r.installed !== r.version,
      };
      const status = v === undefined ? renderRunning(done) : renderFailed(done, v);
      if (!(await this.write(r, seq, status))) return;
      if (r.seq === seq) {
        r.state = v === undefined ? "running" : "failed";
        r.installed = r.version;
      }
    };
    run().catch((err: unknown) =>
      this.opts.log.error({ process: r.name, err: errorMessage(err) }, "simulated agent failed"),
    );
  }

  /** Writes the status; retries transient failures while this play is current. False when it should stop. */
  private async write(r: Rec, seq: number, status: SimStatus): Promise<boolean> {
    const signal = this.signal;
    const { client, namespace, pool, log } = this.opts;
    let backoff = 250;
    for (;;) {
      if (signal === undefined || signal.aborted || r.seq !== seq) return false;
      try {
        await pool.run(() => patchStatus(client, namespace, r.name, status, { fieldManager: FIELD_MANAGER, signal }));
        this.writes++;
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        this.writeErrors++;
        if (isNotFound(err)) return false; // deleted meanwhile
        const permanent =
          isKubeApiError(err) &&
          err.statusCode >= 400 &&
          err.statusCode < 500 &&
          err.statusCode !== 409 &&
          err.statusCode !== 429;
        log.warn(
          { process: r.name, err: errorMessage(err), ...(permanent ? {} : { retryInMs: backoff }) },
          permanent ? "status write rejected" : "status write failed; retrying",
        );
        if (permanent) return false;
        await sleep(backoff, undefined, { signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }
}
