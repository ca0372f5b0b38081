/**
 * The few git smart-HTTP exchanges Bosun needs, each one POST on a kept-alive connection:
 *
 * - protocol v2 `ls-refs` with `ref-prefix` (the poll: one small request for the tracked ref only);
 * - protocol v2 `fetch` (shallow, `want` + `have`: the server sends only the missing objects);
 * - `git-receive-pack` with a pack of just the objects a status commit added (no ref
 *   advertisement first: the old value of the ref is what the last ls-refs said, and
 *   receive-pack refuses atomically when it moved — a race).
 *
 * Stateless-RPC servers (git http-backend, GitHub, GitLab, Gitea) answer these POSTs without the
 * GET `info/refs` discovery that isomorphic-git does before each command.
 */
import { Agent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

/** An HTTP failure with its status code (classified like isomorphic-git's HttpError). */
export class SmartHttpError extends Error {
  override readonly name = "SmartHttpError";
  readonly code = "HttpError";
  readonly data: { statusCode: number; statusMessage: string };
  constructor(statusCode: number, statusMessage: string, body: string) {
    super(`HTTP ${statusCode} ${statusMessage}${body ? `: ${body.slice(0, 200)}` : ""}`);
    this.data = { statusCode, statusMessage };
  }
}

export function pktLine(text: string | Buffer): Buffer {
  const body = typeof text === "string" ? Buffer.from(text) : text;
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, "0")), body]);
}
export const FLUSH = Buffer.from("0000");
export const DELIM = Buffer.from("0001");

export type Pkt = { readonly kind: "data"; readonly data: Buffer } | { readonly kind: "flush" | "delim" | "end" };

/** Splits a buffer of pkt-lines. */
export function* readPkts(buf: Buffer, from = 0): Generator<Pkt & { next: number }> {
  let pos = from;
  while (pos + 4 <= buf.length) {
    const len = Number.parseInt(buf.toString("latin1", pos, pos + 4), 16);
    if (Number.isNaN(len)) throw new ProtocolError(`bad pkt-line length at ${pos}`);
    if (len === 0) {
      pos += 4;
      yield { kind: "flush", next: pos };
      continue;
    }
    if (len === 1 || len === 2) {
      pos += 4;
      yield { kind: "delim", next: pos };
      continue;
    }
    if (len < 4 || pos + len > buf.length) throw new ProtocolError(`truncated pkt-line at ${pos}`);
    const data = buf.subarray(pos + 4, pos + len);
    pos += len;
    yield { kind: "data", data, next: pos };
  }
  if (pos !== buf.length) throw new ProtocolError("trailing bytes after the last pkt-line");
}

export interface SmartHttpOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
}

// Idle sockets are dropped after 4 s, before common servers' keep-alive timeouts (5 s for Node, nginx 75 s).
const agents = {
  http: new Agent({ keepAlive: true, maxSockets: 4, timeout: 4_000 }),
  https: new HttpsAgent({ keepAlive: true, timeout: 4_000 }),
};

/**
 * One POST to `<url>/<service>`, body collected. Keep-alive agent: the poll reuses the connection. A kept-alive
 * socket the server closed just as it was reused (ECONNRESET/EPIPE before any answer) is retried once on a fresh one:
 * the request never reached the server (and a receive-pack is a compare-and-swap anyway).
 */
export async function post(
  o: SmartHttpOptions,
  service: "git-upload-pack" | "git-receive-pack",
  body: Buffer,
  extraHeaders: Record<string, string>,
  signal?: AbortSignal,
): Promise<Buffer> {
  try {
    return await postOnce(o, service, body, extraHeaders, signal);
  } catch (err) {
    if (!(err instanceof Error) || !(err as { reusedSocket?: boolean }).reusedSocket) throw err;
    return postOnce(o, service, body, extraHeaders, signal);
  }
}

async function postOnce(
  o: SmartHttpOptions,
  service: "git-upload-pack" | "git-receive-pack",
  body: Buffer,
  extraHeaders: Record<string, string>,
  signal?: AbortSignal,
): Promise<Buffer> {
  const url = new URL(`${o.url.replace(/\/$/, "")}/${service}`);
  const secure = url.protocol === "https:";
  const request = secure ? httpsRequest : httpRequest;
  const signals = [AbortSignal.timeout(o.timeoutMs), ...(signal ? [signal] : [])];
  const combined = AbortSignal.any(signals);
  return new Promise<Buffer>((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: secure ? agents.https : agents.http,
        headers: {
          ...o.headers,
          ...extraHeaders,
          "content-type": `application/x-${service}-request`,
          accept: `application/x-${service}-result`,
          "content-length": String(body.length),
          "user-agent": "git/bosun",
        },
        signal: combined,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const out = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(new SmartHttpError(status, res.statusMessage ?? "", out.toString("utf8")));
            return;
          }
          const type = String(res.headers["content-type"] ?? "");
          if (!type.includes(`x-${service}-result`)) {
            reject(new ProtocolError(`unexpected content-type ${type || "(none)"} from ${service}`));
            return;
          }
          resolve(out);
        });
      },
    );
    req.on("error", (err: Error & { code?: string }) => {
      if (combined.aborted) return reject(combined.reason ?? err);
      const stale = req.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE");
      reject(stale ? Object.assign(err, { reusedSocket: true }) : err);
    });
    req.end(body);
  });
}

const V2 = { "git-protocol": "version=2" };

/** protocol v2 `ls-refs`: the raw response (callers compare it with the last one before parsing). */
export function lsRefsRequest(prefixes: readonly string[]): Buffer {
  return Buffer.concat([
    pktLine("command=ls-refs\n"),
    pktLine("agent=git/bosun\n"),
    DELIM,
    pktLine("peel\n"),
    pktLine("symrefs\n"),
    ...prefixes.map((p) => pktLine(`ref-prefix ${p}\n`)),
    FLUSH,
  ]);
}

export async function lsRefsRaw(o: SmartHttpOptions, prefixes: readonly string[], signal?: AbortSignal) {
  return post(o, "git-upload-pack", lsRefsRequest(prefixes), V2, signal);
}

/** Parses an ls-refs response: ref → oid (tags peeled), symrefs. */
export function parseLsRefs(raw: Buffer): { refs: Map<string, string>; symrefs: Map<string, string> } {
  const refs = new Map<string, string>();
  const symrefs = new Map<string, string>();
  let flushed = false;
  for (const p of readPkts(raw)) {
    if (p.kind === "flush") {
      flushed = true;
      break;
    }
    if (p.kind !== "data") continue;
    const line = p.data.toString("utf8").replace(/\n$/, "");
    if (line.startsWith("ERR ")) throw new ProtocolError(`ls-refs: ${line.slice(4)}`);
    const [oid, name, ...attrs] = line.split(" ");
    if (!oid || !name || !/^[0-9a-f]{40}$/.test(oid)) {
      if (oid === "unborn") continue;
      throw new ProtocolError(`ls-refs: unexpected line ${JSON.stringify(line.slice(0, 80))}`);
    }
    let value = oid;
    for (const a of attrs) {
      if (a.startsWith("peeled:")) value = a.slice(7);
      else if (a.startsWith("symref-target:")) symrefs.set(name, a.slice(14));
    }
    refs.set(name, value);
  }
  if (!flushed) throw new ProtocolError("ls-refs: response not terminated (not a protocol v2 server?)");
  return { refs, symrefs };
}

export interface FetchResult {
  readonly pack: Buffer | undefined;
  readonly shallow: readonly string[];
  readonly unshallow: readonly string[];
}

/** protocol v2 `fetch`: wants, haves, depth; returns the pack (undefined when the server sent none). */
export async function fetchPack(
  o: SmartHttpOptions,
  args: { wants: readonly string[]; haves: readonly string[]; shallows: readonly string[]; depth?: number },
  signal?: AbortSignal,
): Promise<FetchResult> {
  const body = Buffer.concat([
    pktLine("command=fetch\n"),
    pktLine("agent=git/bosun\n"),
    DELIM,
    // thin-pack: objects the `have` commits reach are left out (and may serve as delta bases); without it a
    // shallow fetch resends the whole tree.
    pktLine("thin-pack\n"),
    pktLine("no-progress\n"),
    pktLine("ofs-delta\n"),
    ...args.shallows.map((s) => pktLine(`shallow ${s}\n`)),
    ...(args.depth !== undefined ? [pktLine(`deepen ${args.depth}\n`)] : []),
    ...args.wants.map((w) => pktLine(`want ${w}\n`)),
    ...args.haves.map((h) => pktLine(`have ${h}\n`)),
    pktLine("done\n"),
    FLUSH,
  ]);
  const raw = await post(o, "git-upload-pack", body, V2, signal);
  const shallow: string[] = [];
  const unshallow: string[] = [];
  const packParts: Buffer[] = [];
  let section = "";
  let ended = false;
  for (const p of readPkts(raw)) {
    if (p.kind === "flush") {
      ended = true;
      break;
    }
    if (p.kind === "delim") {
      section = "";
      continue;
    }
    if (p.kind !== "data") continue;
    if (section === "") {
      const name = p.data.toString("utf8").trim();
      if (name.startsWith("ERR ")) throw new ProtocolError(`fetch: ${name.slice(4)}`);
      section = name;
      continue;
    }
    if (section === "packfile") {
      const band = p.data[0];
      if (band === 1) packParts.push(p.data.subarray(1));
      else if (band === 3)
        throw new ProtocolError(`fetch: remote error: ${p.data.subarray(1).toString("utf8").trim()}`);
      continue;
    }
    const line = p.data.toString("utf8").trim();
    if (section === "shallow-info") {
      if (line.startsWith("shallow ")) shallow.push(line.slice(8));
      else if (line.startsWith("unshallow ")) unshallow.push(line.slice(10));
    }
  }
  if (!ended) throw new ProtocolError("fetch: response ended before the final flush (the server died mid-pack)");
  return { pack: packParts.length ? Buffer.concat(packParts) : undefined, shallow, unshallow };
}

export interface ReceiveResult {
  readonly ok: boolean;
  /** The unpack status or the per-ref reason when not ok. */
  readonly reason?: string;
}

/** `git-receive-pack`: one ref update with its pack. */
export async function receivePack(
  o: SmartHttpOptions,
  update: { oldOid: string; newOid: string; ref: string },
  pack: Buffer,
  signal?: AbortSignal,
): Promise<ReceiveResult> {
  const body = Buffer.concat([
    pktLine(`${update.oldOid} ${update.newOid} ${update.ref}\0report-status side-band-64k agent=git/bosun\n`),
    FLUSH,
    pack,
  ]);
  const raw = await post(o, "git-receive-pack", body, {}, signal);
  const report: Buffer[] = [];
  const errors: string[] = [];
  for (const p of readPkts(raw)) {
    if (p.kind !== "data") continue;
    const band = p.data[0];
    if (band === 1) report.push(p.data.subarray(1));
    else if (band === 3) errors.push(p.data.subarray(1).toString("utf8").trim());
  }
  if (errors.length) return { ok: false, reason: errors.join("; ") };
  let unpack = "";
  let refStatus = "";
  for (const p of readPkts(Buffer.concat(report))) {
    if (p.kind !== "data") continue;
    const line = p.data.toString("utf8").replace(/\n$/, "");
    if (line.startsWith("unpack ")) unpack = line.slice(7);
    else if (line.startsWith(`ok ${update.ref}`)) refStatus = "ok";
    else if (line.startsWith(`ng ${update.ref} `)) refStatus = line.slice(`ng ${update.ref} `.length);
  }
  if (unpack !== "ok") return { ok: false, reason: `unpack ${unpack || "(no status)"}` };
  if (refStatus === "ok") return { ok: true };
  return { ok: false, reason: refStatus || "no status for the ref" };
}
