import type { IncomingMessage } from "node:http";
import { KubeApiError, type KubeStatus } from "./errors.ts";
import type { KubeObject, WatchEvent } from "./types.ts";

interface RawEvent {
  type: string;
  object: unknown;
}

/**
 * Parses a watch response (one JSON event per line) into events. An `ERROR` event becomes a
 * thrown KubeApiError (410 Gone when the resourceVersion is too old); a dropped connection
 * ends the iteration with a `ConnectionFailed` error; a clean server-side timeout just ends it.
 */
export async function* watchEvents(
  res: IncomingMessage,
  subject: string,
  signal?: AbortSignal,
): AsyncGenerator<WatchEvent> {
  let buf = "";
  let ended = false;
  res.setEncoding("utf8");
  try {
    for await (const chunk of res) {
      buf += chunk as string;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === "") continue;
        const ev = JSON.parse(line) as RawEvent;
        if (ev.type === "ERROR") {
          const st = ev.object as KubeStatus;
          throw KubeApiError.fromStatus(subject, st.code ?? 500, st, line);
        }
        if (ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED" || ev.type === "BOOKMARK") {
          yield { type: ev.type, object: ev.object as KubeObject };
        }
      }
    }
    ended = res.complete;
  } catch (err) {
    if (signal?.aborted === true) return;
    if (err instanceof KubeApiError || err instanceof SyntaxError) throw err;
    throw new KubeApiError(subject, 0, "ConnectionFailed", "watch stream broke", { cause: err });
  } finally {
    res.destroy();
  }
  if (!ended && signal?.aborted !== true)
    throw new KubeApiError(subject, 0, "ConnectionFailed", "watch stream ended early");
}
