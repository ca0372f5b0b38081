/**
 * List + watch of the DeviceProcesses scheduled to one device (label selector), resumed from the
 * last resourceVersion after errors and re-listed after 410 Gone. A (re)list is reconciled against
 * what was known, so deletions missed during an outage still arrive as DELETED.
 */
import type { IncomingMessage } from "node:http";
import { errorMessage, KubeApiError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { GROUP, PLURAL, VERSION, dpKey, type DeviceProcess } from "../model.ts";
import { sleep } from "../backends/proc.ts";
import { isStatus, type KubeClient } from "./client.ts";

export type WatchEvent = { type: "ADDED" | "MODIFIED" | "DELETED"; object: DeviceProcess };

export interface WatchOptions {
  client: KubeClient;
  labelSelector: string;
  /** Only this namespace; default all namespaces. */
  namespace?: string;
  onEvent: (e: WatchEvent) => void;
  /** After each successful (re)list. */
  onSynced?: () => void;
  signal: AbortSignal;
  log: Logger;
  backoffMs?: { base: number; max: number };
  /** Server-side watch timeout (jittered); default 240–300 s. */
  watchTimeoutSec?: number;
}

export function collectionPath(namespace?: string): string {
  return `/apis/${GROUP}/${VERSION}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ""}/${PLURAL}`;
}

/** The non-empty lines of a watch response (one JSON event each). */
export async function* lines(res: IncomingMessage): AsyncGenerator<string> {
  let buf = "";
  res.setEncoding("utf8");
  for await (const chunk of res as AsyncIterable<string>) {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) yield line;
    }
  }
  if (buf.trim()) yield buf.trim();
}

/**
 * Drops what the agent never reads but would keep for each object's lifetime (in `known` and in
 * its controller): managedFields and kubectl's last-applied copy of the whole object.
 */
export function slim(dp: DeviceProcess): DeviceProcess {
  const meta = dp.metadata as DeviceProcess["metadata"] & {
    managedFields?: unknown;
    annotations?: Record<string, string>;
  };
  delete meta.managedFields;
  if (meta.annotations) delete meta.annotations["kubectl.kubernetes.io/last-applied-configuration"];
  return dp;
}

export async function watchDeviceProcesses(o: WatchOptions): Promise<void> {
  const known = new Map<string, DeviceProcess>();
  const base = collectionPath(o.namespace);
  const sel = `labelSelector=${encodeURIComponent(o.labelSelector)}`;
  const { base: b0, max } = o.backoffMs ?? { base: 500, max: 30_000 };
  let backoff = b0;
  let rv: string | undefined;

  const relist = async (): Promise<void> => {
    const list = await o.client.json<{ metadata: { resourceVersion: string }; items: DeviceProcess[] }>(
      "GET",
      `${base}?${sel}`,
      undefined,
      { signal: o.signal },
    );
    const seen = new Set<string>();
    for (const item of list.items.map(slim)) {
      const key = dpKey(item.metadata);
      seen.add(key);
      const prev = known.get(key);
      known.set(key, item);
      if (!prev) o.onEvent({ type: "ADDED", object: item });
      else if (prev.metadata.resourceVersion !== item.metadata.resourceVersion)
        o.onEvent({ type: "MODIFIED", object: item });
    }
    for (const [key, obj] of known) {
      if (!seen.has(key)) {
        known.delete(key);
        o.onEvent({ type: "DELETED", object: obj });
      }
    }
    rv = list.metadata.resourceVersion;
    o.onSynced?.();
  };

  while (!o.signal.aborted) {
    try {
      if (rv === undefined) await relist();
      const timeout = o.watchTimeoutSec ?? 240 + Math.floor(Math.random() * 60);
      const res = await o.client.raw(
        "GET",
        `${base}?${sel}&watch=1&allowWatchBookmarks=true&timeoutSeconds=${timeout}&resourceVersion=${rv ?? ""}`,
        { signal: o.signal, timeoutMs: (timeout + 30) * 1000 },
      );
      if (res.statusCode === 410) {
        res.resume();
        throw new KubeApiError("DeviceProcess watch", 410, "Expired", "resourceVersion too old");
      }
      if (res.statusCode !== 200) {
        res.resume();
        throw new Error(`watch answered HTTP ${res.statusCode ?? 0}`);
      }
      backoff = b0;
      for await (const line of lines(res)) {
        const ev = JSON.parse(line) as { type: string; object: DeviceProcess & { code?: number; message?: string } };
        if (ev.type === "ERROR") {
          if (ev.object.code === 410)
            throw new KubeApiError("DeviceProcess watch", 410, "Expired", ev.object.message ?? "");
          throw new Error(`watch error ${ev.object.code ?? "?"}: ${ev.object.message ?? ""}`);
        }
        const newRv = ev.object.metadata.resourceVersion;
        if (newRv) rv = newRv;
        if (ev.type === "BOOKMARK") continue;
        slim(ev.object);
        const key = dpKey(ev.object.metadata);
        if (ev.type === "DELETED") known.delete(key);
        else known.set(key, ev.object);
        if (ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED")
          o.onEvent({ type: ev.type, object: ev.object });
      }
    } catch (err) {
      if (o.signal.aborted) break;
      if (isStatus(err, 410)) {
        o.log.info("watch resourceVersion expired (410 Gone); re-listing");
        rv = undefined;
        continue;
      }
      o.log.warn("watch of DeviceProcesses failed; retrying", { error: errorMessage(err), retryInMs: backoff });
      await sleep(backoff, o.signal).catch(() => undefined);
      backoff = Math.min(max, backoff * 2);
    }
  }
}
