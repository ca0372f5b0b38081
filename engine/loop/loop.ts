/**
 * The reconcile loop: triggers (poll with jitter, cron, webhook, manual) → coalesced passes →
 * backoff after failures. start() runs the first pass at once; stop() aborts and waits.
 */
import { setMaxListeners } from "node:events";
import { join } from "node:path";
import { CronJob } from "cron";
import type { Logger } from "../log/logger.ts";
import { loadCredentials } from "../git/credentials.ts";
import { GitMirror } from "../git/mirror.ts";
import { FleetTreeReader } from "../git/read-files.ts";
import { TrustedKeys } from "../git/verify-signature.ts";
import { DEFAULT_IDENTITY, StatusWriter } from "../status/writer.ts";
import { backoffDelay, DEFAULT_BACKOFF, jitteredInterval } from "./backoff.ts";
import { Coalescer } from "./coalesce.ts";
import type { GitLoopConfig } from "./config.ts";
import type { DesiredStateConsumer } from "./consumer.ts";
import { runPass, type LoopState, type PassDeps, type PassOutcome } from "./pass.ts";
import { resolveWebhookSecret } from "./webhook-secret.ts";
import { startWebhookServer, type WebhookServer } from "./webhook-server.ts";

export interface ReconcileLoopOptions {
  readonly config: GitLoopConfig;
  readonly consumer: DesiredStateConsumer;
  readonly logger: Logger;
  /** Called after every pass (tests and metrics). */
  readonly onPass?: (outcome: PassOutcome, reasons: readonly string[]) => void;
  readonly random?: () => number;
}

export class ReconcileLoop {
  readonly state: LoopState = { consecutiveFailures: 0, passes: 0 };
  private deps: PassDeps | undefined;
  private readonly abort = new AbortController();
  private readonly coalescer: Coalescer;
  private timer: NodeJS.Timeout | undefined;
  private cronJobs: CronJob[] = [];
  private webhook: WebhookServer | undefined;
  private readonly random: () => number;
  private stopped = false;

  constructor(private readonly options: ReconcileLoopOptions) {
    this.random = options.random ?? Math.random;
    // Every request of a pass listens on this signal; hundreds run concurrently at fleet scale.
    setMaxListeners(0, this.abort.signal);
    this.coalescer = new Coalescer((reasons) => this.pass(reasons));
  }

  /** URL of the webhook endpoint, when configured. */
  get webhookUrl(): string | undefined {
    return this.webhook?.url;
  }

  async start(): Promise<void> {
    const { config, logger } = this.options;
    const credentials = await loadCredentials(config.repo.credentials);
    const mirror = await GitMirror.open({
      gitdir: config.repo.mirrorDir,
      url: config.repo.url,
      ...(credentials ? { credentials } : {}),
      ...(config.repo.depth !== undefined ? { depth: config.repo.depth } : {}),
      ...(config.repo.requestTimeoutMs !== undefined ? { requestTimeoutMs: config.repo.requestTimeoutMs } : {}),
    });
    const identity = config.status?.identity ?? DEFAULT_IDENTITY;
    const trustedKeys = config.verify?.trustedKeys.length ? await TrustedKeys.fromArmored(config.verify.trustedKeys) : undefined;
    this.deps = {
      mirror,
      reader: new FleetTreeReader(mirror.gitdir, mirror.cache),
      consumer: this.options.consumer,
      writer: new StatusWriter({
        mirror,
        identity,
        ...(config.status?.pushAttempts !== undefined ? { maxAttempts: config.status.pushAttempts } : {}),
        ...(config.status?.pushBackoff ? { backoff: config.status.pushBackoff } : {}),
        random: this.random,
      }),
      identity,
      logger,
      ref: config.repo.ref ?? "main",
      ...(trustedKeys ? { trustedKeys } : {}),
      statusDefaults: {
        enabled: config.status?.enabled ?? true,
        mode: config.status?.mode ?? "branch",
        branch: config.status?.branch ?? "bosun/status",
        folder: config.status?.folder ?? "status/",
        maxFileBytes: 65_536,
      },
    };
    if (config.webhook) {
      const { secret: _inline, secretEnv: _env, secretFile: _file, ...endpoint } = config.webhook;
      const secret = await resolveWebhookSecret(config.webhook, process.env, this.abort.signal);
      this.webhook = await startWebhookServer({ ...endpoint, secret, ref: this.deps.ref }, (ref) => this.trigger(`webhook ${ref}`), logger);
      logger.info({ url: this.webhook.url }, "webhook listening");
    }
    for (const expr of config.cron ?? []) {
      this.cronJobs.push(CronJob.from({ cronTime: expr, onTick: () => this.trigger(`cron ${expr}`), start: true }));
    }
    logger.info({ repo: mirror.url, ref: this.deps.ref, mirror: join(config.repo.mirrorDir) }, "reconcile loop started");
    this.trigger("start");
  }

  /** Requests a pass now (coalesced with any pass already queued). */
  trigger(reason: string): void {
    if (this.stopped) return;
    this.coalescer.trigger(reason);
  }

  /** Resolves when no pass is running or queued. */
  idle(): Promise<void> {
    return this.coalescer.idle();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const job of this.cronJobs) await job.stop();
    this.cronJobs = [];
    this.abort.abort(new Error("reconcile loop stopping"));
    await this.webhook?.close();
    await this.coalescer.stop();
    this.options.logger.info("reconcile loop stopped");
  }

  private async pass(reasons: readonly string[]): Promise<void> {
    const deps = this.deps;
    if (!deps || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    let outcome: PassOutcome | undefined;
    try {
      outcome = await runPass(deps, this.state, this.abort.signal);
      this.options.logger.info({ reasons, outcome: outcome.kind, ...("commit" in outcome ? { commit: outcome.commit } : {}) }, "pass done");
    } catch (err) {
      if (!this.abort.signal.aborted) {
        this.state.consecutiveFailures++;
        this.options.logger.error({ reasons }, `pass failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    } finally {
      this.scheduleNext();
    }
    if (outcome) this.options.onPass?.(outcome, reasons);
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const poll = this.options.config.poll;
    const failures = this.state.consecutiveFailures;
    let delay: number;
    if (failures > 0) {
      delay = backoffDelay(failures, this.options.config.backoff ?? DEFAULT_BACKOFF, this.random());
      this.options.logger.info({ failures, retryInMs: delay }, "backing off");
    } else {
      const interval = poll?.intervalMs ?? 60_000;
      if (interval <= 0) return;
      delay = jitteredInterval(interval, poll?.jitter ?? 0.1, this.random());
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.trigger(failures > 0 ? "retry" : "poll"), delay);
    this.timer.unref();
  }
}
