/**
 * The engine's PR workflow: a queue of PRs to plan (one at a time, a PR queued again while it runs
 * runs once more after), fed by the webhook endpoint and by a poll of `refs/pull/N/head` (new or
 * moved heads) plus the open PRs' state (merges) as the fallback when a webhook is lost.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ForgeError } from "../../clients/forge/index.ts";
import type { GitMirror, Logger } from "../../engine/index.ts";
import type { PlanOutcome, PullRequestPlanner } from "./pr-planner.ts";
import { webhookEndpoint, type WebhookStats } from "./webhook-endpoint.ts";

export interface PullRequestServiceOptions {
  readonly planner: PullRequestPlanner;
  readonly mirror: GitMirror;
  readonly logger: Logger;
  readonly webhookSecret?: string;
  readonly maxWebhookBytes: number;
  readonly pollIntervalMs: number;
  /** Each finished PR pass (tests, metrics). */
  readonly onOutcome?: (number: number, outcome: PlanOutcome | { kind: "error"; error: string }) => void;
}

export class PullRequestService {
  private readonly abort = new AbortController();
  private readonly queued = new Set<number>();
  private readonly order: number[] = [];
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly heads = new Map<number, string>();
  private readonly open = new Set<number>();
  private firstPoll = true;
  /** The PR being planned now. */
  private current: number | undefined;
  private readonly endpoint: ReturnType<typeof webhookEndpoint> | undefined;

  constructor(private readonly o: PullRequestServiceOptions) {
    this.endpoint = o.webhookSecret
      ? webhookEndpoint({
          secret: o.webhookSecret,
          maxBytes: o.maxWebhookBytes,
          logger: o.logger,
          enqueue: (n, why) => this.enqueue(n, why),
        })
      : undefined;
  }

  get webhookStats(): WebhookStats | undefined {
    return this.endpoint?.stats;
  }

  /** Serves /hooks/forge; false when the path is not the webhook's. */
  handleWebhook(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.endpoint) return false;
    this.endpoint.handle(req, res);
    return true;
  }

  start(): void {
    const tick = (): void => {
      this.poll().catch((error: unknown) =>
        this.o.logger.warn({ err: { message: (error as Error).message } }, "pr poll failed; next poll retries"),
      );
      this.timer = setTimeout(tick, this.o.pollIntervalMs);
      this.timer.unref();
    };
    tick();
  }

  enqueue(number: number, reason: string): void {
    if (this.abort.signal.aborted) return;
    this.open.add(number);
    if (!this.queued.has(number)) {
      this.queued.add(number);
      this.order.push(number);
      this.o.logger.debug({ pr: number, reason }, "pr queued");
    }
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      if (this.order.length > 0) this.enqueue(this.order[0]!, "requeue");
    });
  }

  private async drain(): Promise<void> {
    while (this.order.length > 0 && !this.abort.signal.aborted) {
      const number = this.order.shift()!;
      this.queued.delete(number);
      this.current = number;
      try {
        const outcome = await this.o.planner.run(number, this.abort.signal);
        if (outcome.kind === "merged" || outcome.kind === "closed") this.open.delete(number);
        if (outcome.kind === "planned" || outcome.kind === "invalid") this.heads.set(number, outcome.head);
        this.o.onOutcome?.(number, outcome);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        const e = error as Error;
        this.o.logger.warn(
          { pr: number, err: { message: e.message, ...(error instanceof ForgeError ? { kind: error.kind } : {}) } },
          "pr pass failed; the next event or poll retries",
        );
        this.o.onOutcome?.(number, { kind: "error", error: e.message });
      } finally {
        this.current = undefined;
      }
    }
  }

  /** The fallback: PR heads from the git server (new or moved), and the state of the PRs still open (merged?). */
  private async poll(): Promise<void> {
    const refs = await this.o.mirror.listRemoteRefs(this.abort.signal, ["refs/pull/"]);
    const first = this.firstPoll;
    this.firstPoll = false;
    for (const [ref, sha] of refs) {
      const m = /^refs\/pull\/(\d+)\/head$/.exec(ref);
      if (!m) continue;
      const number = Number(m[1]);
      if (this.heads.get(number) === sha) continue;
      // Queued or being planned already (a webhook was first): its pass records the head.
      if (this.queued.has(number) || this.current === number) continue;
      this.heads.set(number, sha);
      if (first) {
        // At start: only PRs still open are planned (a merged one of long ago is history).
        const pull = await this.o.planner.pull(number, this.abort.signal).catch(() => undefined);
        if (pull?.state !== "open") continue;
      }
      this.enqueue(number, "poll: new head");
    }
    for (const number of [...this.open]) {
      if (this.queued.has(number)) continue;
      const pull = await this.o.planner.pull(number, this.abort.signal).catch(() => undefined);
      if (pull && pull.state !== "open") this.enqueue(number, "poll: closed");
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
