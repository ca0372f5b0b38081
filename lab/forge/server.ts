/**
 * The lab forge: a loopback HTTP server in Gitea mode (`/api/v1`, the operations of the swagger
 * subset) or GitHub mode (the same REST paths at the root, as api.github.com), over the lab git
 * server's bare repos (PR heads are `refs/pull/N/head`). Request bodies are validated against the
 * swagger subset; 401/403/404 by token and permission; GitHub's limits (65,536-character comments,
 * 140-character status descriptions: 422), Gitea's optional byte cap (500, as MySQL TEXT);
 * pagination (GitHub `per_page` ≤ 100 with `Link`; Gitea reviews by page/limit, comments unpaged as
 * in the swagger); scripted faults (409/422/423/429/500 …); signed webhook deliveries.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { bodyProblems } from "./body-schemas.ts";
import type {
  Fault,
  LabForgeRepo,
  LabForgeUser,
  LoggedRequest,
  RepoState,
  StoredComment,
  StoredPull,
  StoredReview,
  StoredStatus,
} from "./forge-state.ts";
import { mergeBase, mergePull, revParse, updatePullRef } from "./git-pulls.ts";
import { deliver, newDeliveryId, webhookHeaders, type Delivery, type SignatureMode } from "./webhook-sender.ts";
import { commentJson, pullJson, repoJson, reviewJson, statusJson, userJson, type Mode } from "./wire.ts";

export interface LabForgeOptions {
  readonly mode: Mode;
  readonly users: readonly LabForgeUser[];
  readonly repos: readonly LabForgeRepo[];
  /** Gitea mode: a comment body over this many bytes answers 500 (a MySQL TEXT column). */
  readonly maxCommentBytes?: number;
  /** Where deliveries go (also settable through POST /hooks or `setWebhook`). */
  readonly webhook?: { readonly url: string; readonly secret: string };
}

export interface LabForge {
  readonly mode: Mode;
  /** Server root, e.g. `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** What a client is configured with: Gitea the root (it adds /api/v1), GitHub the API root. */
  readonly clientUrl: string;
  readonly requests: readonly LoggedRequest[];
  readonly deliveries: readonly Delivery[];
  inject(fault: Omit<Fault, "times"> & { times?: number }): void;
  setWebhook(url: string, secret: string): void;
  /** Opens a PR from branch `head` into `base` (sets refs/pull/N/head) and delivers `opened`. */
  openPull(
    repo: string,
    pr: { head: string; base?: string; title?: string; author: string; deliver?: boolean },
  ): Promise<{ number: number; delivery?: Delivery }>;
  /** After a push to the PR's branch: moves refs/pull/N/head and delivers synchronize(d). */
  pushed(repo: string, number: number, options?: { deliver?: boolean }): Promise<Delivery | undefined>;
  /** Merges the PR with a merge commit on its base, closes it and delivers `closed` (merged). */
  merge(repo: string, number: number, by: string): Promise<{ commit: string; delivery?: Delivery }>;
  /** Adds a comment as `login` without going through HTTP (filler: 250 comments of other people). */
  addComment(repo: string, number: number, login: string, body: string): StoredComment;
  comments(repo: string, number: number): readonly StoredComment[];
  statuses(repo: string, sha: string): readonly StoredStatus[];
  pull(repo: string, number: number): StoredPull;
  /** Sends a delivery with a chosen signature and delivery id (fault tests). */
  send(
    event: string,
    payload: unknown,
    options?: { signature?: SignatureMode; id?: string; body?: Uint8Array; eventType?: string },
  ): Promise<Delivery>;
  /** The payload of a pull_request event for the PR as it is now (for `send`). */
  pullPayload(repo: string, number: number, action: string): Record<string, unknown>;
  stop(): Promise<void>;
}

const MAX_BODY = 30 * 1024 * 1024;
const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export async function startLabForge(options: LabForgeOptions): Promise<LabForge> {
  const mode = options.mode;
  const prefix = mode === "gitea" ? "/api/v1" : "";
  const repos = new Map<string, RepoState>();
  for (const repo of options.repos)
    repos.set(`${repo.owner}/${repo.name}`, {
      repo,
      pulls: new Map(),
      comments: [],
      statuses: [],
      reviews: [],
      hooks: [],
      nextNumber: 1,
    });
  const byToken = new Map(options.users.map((u) => [u.token, u]));
  const requests: LoggedRequest[] = [];
  const deliveries: Delivery[] = [];
  const faults: Fault[] = [];
  let ids = 1000;
  let webhook = options.webhook;
  let root = "";
  const sockets = new Set<Socket>();
  const pending = new Set<Promise<unknown>>();

  const state = (key: string): RepoState => {
    const s = repos.get(key);
    if (!s) throw new Error(`lab forge: no repo ${key}`);
    return s;
  };

  const errorBody = (status: number, message: string, extra: Record<string, unknown>): Record<string, unknown> =>
    mode === "gitea"
      ? { message, url: `${root}/api/swagger`, errors: [], ...extra }
      : { message, documentation_url: "https://docs.github.com/rest", status: String(status), ...extra };

  const send = async (
    event: string,
    payload: unknown,
    o: { signature?: SignatureMode; id?: string; body?: Uint8Array; eventType?: string } = {},
  ): Promise<Delivery> => {
    if (!webhook) throw new Error("lab forge: no webhook target");
    const id = o.id ?? newDeliveryId();
    const body = o.body ?? Buffer.from(JSON.stringify(payload));
    const headers = webhookHeaders(mode, event, o.eventType ?? event, body, webhook.secret, o.signature ?? "good", id);
    const res = await deliver(webhook.url, headers, body);
    const d = { id, event, status: res.status, body: res.text };
    deliveries.push(d);
    return d;
  };

  const pullPayload = (key: string, number: number, action: string): Record<string, unknown> => {
    const s = state(key);
    const p = s.pulls.get(number);
    if (!p) throw new Error(`lab forge: no PR ${key}#${number}`);
    return {
      action,
      number,
      pull_request: pullJson(mode, s, p, root),
      repository: repoJson(s, root),
      sender: userJson(p.author),
      ...(mode === "gitea" ? { commit_id: "", review: null } : {}),
    };
  };

  const deliverIfConfigured = async (
    event: string,
    payload: unknown,
    eventType?: string,
  ): Promise<Delivery | undefined> => (webhook ? send(event, payload, eventType ? { eventType } : {}) : undefined);

  // ---- HTTP ----

  const auth = (req: IncomingMessage): LabForgeUser | undefined | "bad" => {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(h);
    const user = m?.[1] ? byToken.get(m[1]) : undefined;
    return user ?? "bad";
  };

  const page = <T>(
    req: URL,
    list: readonly T[],
    res: ServerResponse,
    kind: "github" | "gitea-reviews",
  ): readonly T[] => {
    const p = Math.max(1, Number(req.searchParams.get("page") ?? 1) || 1);
    const size =
      kind === "github"
        ? Math.min(100, Math.max(1, Number(req.searchParams.get("per_page") ?? 30) || 30))
        : Math.min(50, Math.max(1, Number(req.searchParams.get("limit") ?? 30) || 30));
    const last = Math.max(1, Math.ceil(list.length / size));
    if (kind === "github") {
      const link = (n: number, rel: string): string => {
        const u = new URL(req.toString());
        u.searchParams.set("page", String(n));
        u.searchParams.set("per_page", String(size));
        return `<${u.toString()}>; rel="${rel}"`;
      };
      const links = [];
      if (p < last) links.push(link(p + 1, "next"), link(last, "last"));
      if (p > 1) links.push(link(1, "first"), link(p - 1, "prev"));
      if (links.length > 0) res.setHeader("link", links.join(", "));
    } else res.setHeader("x-total-count", String(list.length));
    return list.slice((p - 1) * size, p * size);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<[number, unknown]> => {
    const url = new URL(req.url ?? "/", root);
    const method = req.method ?? "GET";
    if (!url.pathname.startsWith(prefix)) throw new HttpError(404, "Not Found");
    const path = url.pathname.slice(prefix.length) || "/";
    const user = auth(req);
    if (user === "bad") throw new HttpError(401, mode === "gitea" ? "user does not exist" : "Bad credentials");
    const json = (): Record<string, unknown> => {
      try {
        const v = JSON.parse(body.toString("utf8")) as unknown;
        if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
        return v as Record<string, unknown>;
      } catch {
        throw new HttpError(mode === "gitea" ? 422 : 400, "Problems parsing JSON");
      }
    };
    const validate = (operationId: string, doc: unknown): void => {
      const problems = bodyProblems(operationId, doc);
      if (problems.length > 0)
        throw new HttpError(422, mode === "gitea" ? problems.join("; ") : "Invalid request.", { errors: problems });
    };
    if (path === "/version" && method === "GET" && mode === "gitea") return [200, { version: "1.25.3" }];
    if (path === "/user" && method === "GET") {
      if (!user) throw new HttpError(401, mode === "gitea" ? "token is required" : "Requires authentication");
      return [200, userJson(user.login)];
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(path);
    if (!m) throw new HttpError(404, "Not Found");
    const s = repos.get(`${m[1]}/${m[2]}`);
    // A private repo is invisible without a token that may read it: 404, not 401.
    if (!s || (s.repo.private && !user)) throw new HttpError(404, "The target couldn't be found.");
    const rest = m[3]!;
    const write = (): LabForgeUser => {
      if (!user) throw new HttpError(401, mode === "gitea" ? "token is required" : "Requires authentication");
      if (user.permission === "read")
        throw new HttpError(
          403,
          mode === "gitea" ? "user should have write permission" : "Resource not accessible by integration",
        );
      return user;
    };
    const locked = (): void => {
      if (s.repo.archived) throw new HttpError(423, "repo is archived");
    };
    const pullOf = (n: string): StoredPull => {
      const p = s.pulls.get(Number(n));
      if (!p) throw new HttpError(404, "The target couldn't be found.");
      return p;
    };
    let r: RegExpExecArray | null;

    if ((r = /^\/statuses\/([0-9a-f]{40})$/.exec(rest))) {
      const sha = r[1]!;
      if (method === "GET")
        return [
          200,
          page(
            url,
            s.statuses.filter((x) => x.sha === sha).reverse(),
            res,
            mode === "github" ? "github" : "gitea-reviews",
          ).map((x) => statusJson(mode, x)),
        ];
      if (method === "POST") {
        const u = write();
        const doc = json();
        validate("repoCreateStatus", doc);
        const state = String(doc["state"] ?? "");
        const description = String(doc["description"] ?? "");
        if (mode === "github") {
          if (!["error", "failure", "pending", "success"].includes(state))
            throw new HttpError(422, "Validation Failed", {
              errors: [{ resource: "Status", code: "invalid", field: "state" }],
            });
          if (description.length > 140)
            throw new HttpError(422, "Validation Failed", {
              errors: [
                {
                  resource: "Status",
                  code: "custom",
                  field: "description",
                  message: "description is too long (maximum is 140 characters)",
                },
              ],
            });
          if (s.statuses.filter((x) => x.sha === sha && x.context === doc["context"]).length >= 1000)
            throw new HttpError(422, "This SHA and context has reached the maximum number of statuses.");
        }
        const st: StoredStatus = {
          id: ids++,
          sha,
          state,
          context: String(doc["context"] ?? "default"),
          description,
          targetUrl: String(doc["target_url"] ?? ""),
          creator: u.login,
          createdAt: now(),
        };
        s.statuses.push(st);
        return [201, statusJson(mode, st)];
      }
    }
    if ((r = /^\/commits\/([^/]+)\/(status|statuses)$/.exec(rest)) && method === "GET") {
      const sha = /^[0-9a-f]{40}$/.test(r[1]!) ? r[1]! : await revParse(s.repo.gitdir, r[1]!).catch(() => "");
      const all = s.statuses.filter((x) => x.sha === sha);
      const latest = [...new Map(all.map((x) => [x.context, x])).values()];
      if (r[2] === "statuses") return [200, [...all].reverse().map((x) => statusJson(mode, x))];
      const rank = ["failure", "error", "pending", "warning", "success"];
      const combined = latest.map((x) => x.state).sort((a, b) => rank.indexOf(a) - rank.indexOf(b))[0] ?? "pending";
      return [
        200,
        { state: combined, sha, total_count: latest.length, statuses: latest.map((x) => statusJson(mode, x)) },
      ];
    }
    if ((r = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const issue = Number(r[1]);
      if (!s.pulls.has(issue)) throw new HttpError(404, "The target couldn't be found.");
      if (method === "GET") {
        const list = s.comments.filter((c) => c.issue === issue);
        // Gitea's list takes only since/before (swagger): every comment in one answer.
        const shown = mode === "github" ? page(url, list, res, "github") : list;
        return [200, shown.map((c) => commentJson(mode, s, c, root))];
      }
      if (method === "POST") {
        const u = write();
        locked();
        const doc = json();
        validate("issueCreateComment", doc);
        const text = String(doc["body"]);
        checkSize(text);
        const c: StoredComment = { id: ids++, issue, body: text, user: u.login, createdAt: now(), updatedAt: now() };
        s.comments.push(c);
        return [201, commentJson(mode, s, c, root)];
      }
    }
    if ((r = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      const c = s.comments.find((x) => x.id === Number(r![1]));
      if (!c) throw new HttpError(404, "The target couldn't be found.");
      if (method === "GET") return [200, commentJson(mode, s, c, root)];
      const u = write();
      if (c.user !== u.login && u.permission !== "admin") throw new HttpError(403, "not the comment's author");
      if (method === "PATCH") {
        locked();
        const doc = json();
        validate("issueEditComment", doc);
        const text = String(doc["body"]);
        checkSize(text);
        c.body = text;
        c.updatedAt = now();
        return [200, commentJson(mode, s, c, root)];
      }
      if (method === "DELETE") {
        s.comments.splice(s.comments.indexOf(c), 1);
        return [204, undefined];
      }
    }
    if ((r = /^\/pulls\/(\d+)$/.exec(rest)) && method === "GET") return [200, pullJson(mode, s, pullOf(r[1]!), root)];
    if ((r = /^\/pulls\/(\d+)\/reviews$/.exec(rest))) {
      const p = pullOf(r[1]!);
      if (method === "GET") {
        const list = s.reviews.filter((x) => x.pull === p.number);
        return [
          200,
          page(url, list, res, mode === "github" ? "github" : "gitea-reviews").map((x) =>
            reviewJson(mode, x, p.headSha),
          ),
        ];
      }
      if (method === "POST") {
        if (!user) throw new HttpError(401, "token is required");
        const doc = json();
        validate("repoCreatePullReview", doc);
        const event = String(doc["event"] ?? "");
        const state =
          mode === "gitea"
            ? event
            : (
                { APPROVE: "APPROVED", REQUEST_CHANGES: "REQUEST_CHANGES", COMMENT: "COMMENT" } as Record<
                  string,
                  string
                >
              )[event];
        if (!state || !["APPROVED", "REQUEST_CHANGES", "COMMENT"].includes(state))
          throw new HttpError(422, `unknown review event ${JSON.stringify(event)}`);
        if (user.login === p.author && state !== "COMMENT")
          throw new HttpError(422, "cannot review your own pull request");
        const review: StoredReview = {
          id: ids++,
          pull: p.number,
          user: user.login,
          state,
          body: String(doc["body"] ?? ""),
          commitId: typeof doc["commit_id"] === "string" && doc["commit_id"] !== "" ? doc["commit_id"] : p.headSha,
          official: user.permission !== "read",
          dismissed: false,
          submittedAt: now(),
        };
        s.reviews.push(review);
        const key = `${s.repo.owner}/${s.repo.name}`;
        const payload =
          mode === "gitea"
            ? {
                ...pullPayload(key, p.number, "reviewed"),
                sender: userJson(user.login),
                review: {
                  type: state === "APPROVED" ? "pull_request_review_approved" : "pull_request_review_rejected",
                  content: review.body,
                },
              }
            : {
                ...pullPayload(key, p.number, "submitted"),
                sender: userJson(user.login),
                review: reviewJson(mode, review, p.headSha),
              };
        const event2 =
          mode === "gitea"
            ? state === "APPROVED"
              ? "pull_request_approved"
              : state === "REQUEST_CHANGES"
                ? "pull_request_rejected"
                : "pull_request_comment"
            : "pull_request_review";
        if (webhook) {
          const d = send(event2, payload).catch(() => undefined);
          pending.add(d);
          void d.finally(() => pending.delete(d));
        }
        return [200, reviewJson(mode, review, p.headSha)];
      }
    }
    if (rest === "/hooks") {
      if (method === "GET")
        return [
          200,
          s.hooks.map((h) => ({
            id: h.id,
            type: mode,
            config: { url: h.url, content_type: "json" },
            events: h.events,
            active: h.active,
            created_at: h.createdAt,
          })),
        ];
      if (method === "POST") {
        const u = write();
        if (u.permission !== "admin") throw new HttpError(403, "hooks need admin permission");
        const doc = json();
        validate("repoCreateHook", doc);
        const config = doc["config"] as Record<string, string>;
        const hook = {
          id: ids++,
          url: config["url"] ?? "",
          secret: config["secret"] ?? "",
          events: (doc["events"] as string[] | undefined) ?? ["push"],
          active: doc["active"] !== false,
          createdAt: now(),
        };
        s.hooks.push(hook);
        webhook = { url: hook.url, secret: hook.secret };
        return [
          201,
          {
            id: hook.id,
            type: mode,
            config: { url: hook.url, content_type: "json" },
            events: hook.events,
            active: hook.active,
            created_at: hook.createdAt,
          },
        ];
      }
    }
    throw new HttpError(mode === "gitea" ? 404 : 404, "Not Found");
  };

  const checkSize = (text: string): void => {
    if (mode === "github" && text.length > 65_536)
      throw new HttpError(422, "Validation Failed", {
        errors: [
          {
            resource: "IssueComment",
            code: "unprocessable",
            field: "data",
            message: "Body is too long (maximum is 65536 characters)",
          },
        ],
      });
    if (mode === "gitea" && options.maxCommentBytes !== undefined && Buffer.byteLength(text) > options.maxCommentBytes)
      throw new HttpError(500, "Error 1406: Data too long for column 'content'");
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (b: Buffer) => {
      size += b.length;
      if (size <= MAX_BODY) chunks.push(b);
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", root);
      const path = url.pathname.slice(prefix.length);
      const method = req.method ?? "GET";
      const u = auth(req);
      const log = (status: number): void => {
        requests.push({
          method,
          path,
          query: url.search.slice(1),
          status,
          ...(u && u !== "bad" ? { user: u.login } : {}),
        });
      };
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        log(status);
        res.writeHead(status, body === undefined ? headers : { "content-type": "application/json", ...headers });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      const fault = faults.find((f) => f.times > 0 && f.method === method && f.path.test(path));
      if (fault?.after) {
        // The request is carried out, then the answer is lost to a failure (a create that did land).
        fault.times--;
        handle(req, res, Buffer.concat(chunks)).then(
          () => reply(fault.status, errorBody(fault.status, `injected ${fault.status} after the write`, {})),
          () => reply(fault.status, errorBody(fault.status, `injected ${fault.status}`, {})),
        );
        return;
      }
      if (fault) {
        fault.times--;
        return reply(
          fault.status,
          errorBody(fault.status, `injected ${fault.status}`, {}),
          fault.retryAfter ? { "retry-after": fault.retryAfter } : {},
        );
      }
      if (size > MAX_BODY) return reply(413, errorBody(413, "request body too large", {}));
      handle(req, res, Buffer.concat(chunks)).then(
        ([status, body]) => reply(status, body),
        (error: unknown) => {
          if (error instanceof HttpError)
            return reply(error.status, errorBody(error.status, error.message, error.extra));
          reply(500, errorBody(500, String(error), {}));
        },
      );
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    mode,
    get url() {
      return root;
    },
    get clientUrl() {
      return root;
    },
    requests,
    deliveries,
    inject(fault) {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },
    setWebhook(url, secret) {
      webhook = { url, secret };
    },
    async openPull(key, pr) {
      const s = state(key);
      const number = s.nextNumber++;
      const base = pr.base ?? "main";
      const headSha = await updatePullRef(s.repo.gitdir, number, pr.head);
      const baseSha = await revParse(s.repo.gitdir, `refs/heads/${base}`);
      s.pulls.set(number, {
        number,
        title: pr.title ?? pr.head,
        author: pr.author,
        headRef: pr.head,
        baseRef: base,
        headSha,
        baseSha,
        mergeBase: await mergeBase(s.repo.gitdir, baseSha, headSha),
        state: "open",
        merged: false,
        updatedAt: now(),
      });
      if (pr.deliver === false) return { number };
      const delivery = await deliverIfConfigured("pull_request", pullPayload(key, number, "opened"), "pull_request");
      return { number, ...(delivery ? { delivery } : {}) };
    },
    async pushed(key, number, o = {}) {
      const s = state(key);
      const p = s.pulls.get(number);
      if (!p) throw new Error(`lab forge: no PR ${key}#${number}`);
      p.headSha = await updatePullRef(s.repo.gitdir, number, p.headRef);
      p.baseSha = await revParse(s.repo.gitdir, `refs/heads/${p.baseRef}`);
      p.mergeBase = await mergeBase(s.repo.gitdir, p.baseSha, p.headSha);
      p.updatedAt = now();
      if (o.deliver === false) return undefined;
      return deliverIfConfigured(
        "pull_request",
        pullPayload(key, number, mode === "gitea" ? "synchronized" : "synchronize"),
        "pull_request_sync",
      );
    },
    async merge(key, number, by) {
      const s = state(key);
      const p = s.pulls.get(number);
      if (!p || p.state !== "open") throw new Error(`lab forge: PR ${key}#${number} is not open`);
      const commit = await mergePull(s.repo.gitdir, p.baseRef, p.headSha, `Merge pull request #${number}`, {
        name: by,
        email: `${by}@lab.invalid`,
      });
      p.state = "closed";
      p.merged = true;
      p.mergedAt = now();
      p.mergeCommit = commit;
      p.updatedAt = now();
      const delivery = await deliverIfConfigured("pull_request", pullPayload(key, number, "closed"), "pull_request");
      return { commit, ...(delivery ? { delivery } : {}) };
    },
    addComment(key, number, login, body) {
      const c: StoredComment = { id: ids++, issue: number, body, user: login, createdAt: now(), updatedAt: now() };
      state(key).comments.push(c);
      return c;
    },
    comments: (key, number) => state(key).comments.filter((c) => c.issue === number),
    statuses: (key, sha) => state(key).statuses.filter((x) => x.sha === sha),
    pull(key, number) {
      const p = state(key).pulls.get(number);
      if (!p) throw new Error(`lab forge: no PR ${key}#${number}`);
      return p;
    },
    send,
    pullPayload,
    async stop() {
      await Promise.allSettled([...pending]);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
