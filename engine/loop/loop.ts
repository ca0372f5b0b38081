/**
 * The reconcile loop: triggers (poll with jitter, cron, webhook, manual) → coalesced passes →
 * backoff after failures. start() runs the first pass at once; stop() aborts and waits.
 */
import { join } from "node:path";
import { CronJob } from "cron";
import type { Logger } from "../log/logger.ts";
import { loadCredentials } from "../git/credentials.ts";
import { GitMirror } from "../git/mirror.ts";
import { FleetTreeReader } from "../git/read-files.ts";
import { TrustedKeys } from "../git/verify-signature.ts";
import { DEFAULT_IDENTITY, StatusWriter } from "../status/writer.ts";
import { StatusCoalescer } from "../status/coalesce.ts";
import { DEFAULT_BACKOFF, jitteredInterval } from "./backoff.ts";
import type { GitLoopConfig } from "./config.ts";
import type { DesiredStateConsumer } from "./consumer.ts";
import { PassScheduler } from "./pass-scheduler.ts";
import type { StatusGate } from "../ha/status-files.ts";
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
  /** With leader election: the shards whose status this replica writes (app/ha). */
  readonly statusGate?: StatusGate;
}

export class ReconcileLoop {
  readonly state: LoopState = { consecutiveFailures: 0, passes: 0 };
  private deps: PassDeps | undefined;
  private readonly scheduler: PassScheduler<PassOutcome>;
  private cronJobs: CronJob[] = [];
  private webhook: WebhookServer | undefined;
  private stopped = false;

  constructor(private readonly options: ReconcileLoopOptions) {
    const poll = options.config.poll;
    this.scheduler = new PassScheduler<PassOutcome>({
      logger: options.logger,
      state: this.state,
      run: async (signal) => (this.deps ? runPass(this.deps, this.state, signal) : undefined),
      describe: (outcome) => ({ outcome: outcome.kind, ...("commit" in outcome ? { commit: outcome.commit } : {}) }),
      ...(options.onPass ? { onPass: options.onPass } : {}),
      idleDelay: (random) => {
        const interval = poll?.intervalMs ?? 60_000;
        return interval <= 0 ? undefined : jitteredInterval(interval, poll?.jitter ?? 0.1, random);
      },
      idleReason: "poll",
      backoff: options.config.backoff ?? DEFAULT_BACKOFF,
      random: options.random ?? Math.random,
    });
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
    const trustedKeys = config.verify?.trustedKeys.length
      ? await TrustedKeys.fromArmored(config.verify.trustedKeys)
      : undefined;
    this.deps = {
      mirror,
      reader: new FleetTreeReader(mirror.gitdir, mirror.cache),
      consumer: this.options.consumer,
      writer: new StatusWriter({
        mirror,
        identity,
        ...(config.status?.pushAttempts !== undefined ? { maxAttempts: config.status.pushAttempts } : {}),
        ...(config.status?.pushBackoff ? { backoff: config.status.pushBackoff } : {}),
        random: this.options.random ?? Math.random,
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
        minIntervalSeconds: 30,
      },
      coalescer: new StatusCoalescer(),
      ...(this.options.statusGate ? { statusGate: this.options.statusGate } : {}),
    };
    if (config.webhook) {
      const { secret: _inline, secretEnv: _env, secretFile: _file, ...endpoint } = config.webhook;
      const secret = await resolveWebhookSecret(config.webhook, process.env, this.scheduler.signal);
      this.webhook = await startWebhookServer(
        { ...endpoint, secret, ref: this.deps.ref },
        (ref) => this.trigger(`webhook ${ref}`),
        logger,
      );
      logger.info({ url: this.webhook.url }, "webhook listening");
    }
    for (const expr of config.cron ?? []) {
      this.cronJobs.push(CronJob.from({ cronTime: expr, onTick: () => this.trigger(`cron ${expr}`), start: true }));
    }
    logger.info(
      { repo: mirror.url, ref: this.deps.ref, mirror: join(config.repo.mirrorDir) },
      "reconcile loop started",
    );
    this.trigger("start");
  }

  /** Requests a pass now (coalesced with any pass already queued). */
  trigger(reason: string): void {
    if (this.stopped) return;
    this.scheduler.trigger(reason);
  }

  /** Resolves when no pass is running or queued. */
  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const job of this.cronJobs) await job.stop();
    this.cronJobs = [];
    await this.webhook?.close();
    await this.scheduler.stop("reconcile loop stopping");
    this.options.logger.info("reconcile loop stopped");
  }
}
