/**
 * Puts a plan's comment parts and its commit status on the forge. Comments are reconciled (edit
 * part i in place, create missing parts, delete leftovers); a failed create is never retried
 * blindly: the comments are read again and reconciled again, so a create that did land on the
 * forge is edited, not duplicated. Statuses are posted only when they change.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ForgeError, type ForgeClient } from "../../clients/forge/index.ts";
import {
  parseMarker,
  syncComments,
  type CommitStatusInput,
  type ForgeComment,
  type Logger,
  type Marker,
} from "../../engine/index.ts";

export interface PublishResult {
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  /** Reconcile rounds (more than 1 after a failure). */
  readonly rounds: number;
}

/** Bosun's part-1 comment of `scope` and its marker. */
export function ownFirstPart(
  comments: readonly ForgeComment[],
  login: string,
  scope: string,
): { comment: ForgeComment; marker: Marker } | undefined {
  let found: { comment: ForgeComment; marker: Marker } | undefined;
  for (const c of comments) {
    if (c.user.toLowerCase() !== login.toLowerCase()) continue;
    const marker = parseMarker(c.body);
    if (!marker || marker.scope !== scope || marker.part !== 1) continue;
    if (!found || c.id < found.comment.id) found = { comment: c, marker };
  }
  return found;
}

export async function publishComments(
  forge: ForgeClient,
  input: { number: number; login: string; scope: string; parts: readonly string[]; logger: Logger },
  signal?: AbortSignal,
  known?: readonly ForgeComment[],
): Promise<PublishResult> {
  let created = 0;
  let updated = 0;
  let deleted = 0;
  let comments = known;
  for (let round = 1; ; round++) {
    comments ??= await forge.listComments(input.number, signal);
    const ops = syncComments(comments, input.login, input.scope, input.parts);
    if (ops.length === 0) return { created, updated, deleted, rounds: round };
    try {
      for (const op of ops) {
        if (op.op === "create") {
          await forge.createComment(input.number, op.body, signal);
          created++;
        } else if (op.op === "update") {
          await forge.editComment(op.id, op.body, signal);
          updated++;
        } else {
          await forge.deleteComment(op.id, signal);
          deleted++;
        }
      }
      return { created, updated, deleted, rounds: round };
    } catch (error) {
      // 5xx, network, 409/422 (state changed): read the comments again and reconcile from there.
      const again =
        error instanceof ForgeError && (error.retryable || error.kind === "conflict" || error.kind === "invalid");
      if (!again || round >= 5) throw error;
      input.logger.warn(
        { pr: input.number, round, err: { message: (error as Error).message } },
        "pr: comment update failed; reading the comments again before retrying",
      );
      await sleep(200 * 2 ** (round - 1), undefined, { signal });
      comments = undefined;
    }
  }
}

/** Posts a status unless the same one was the last posted for that commit and context. */
export class StatusPoster {
  private readonly last = new Map<string, string>();
  constructor(private readonly forge: ForgeClient) {}

  /** True once a status of `context` was posted on `sha` (a re-plan of a head skips "pending"). */
  has(sha: string, context: string): boolean {
    return this.last.has(`${sha}\0${context}`);
  }

  async post(sha: string, status: CommitStatusInput, signal?: AbortSignal): Promise<boolean> {
    const key = `${sha}\0${status.context}`;
    const value = `${status.state}\0${status.description}\0${status.targetUrl ?? ""}`;
    if (this.last.get(key) === value) return false;
    await this.forge.createStatus(sha, status, signal);
    this.last.set(key, value);
    if (this.last.size > 5000) this.last.delete(this.last.keys().next().value as string);
    return true;
  }
}
