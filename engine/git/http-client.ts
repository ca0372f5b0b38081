import type { GitHttpRequest, GitHttpResponse, HttpClient } from "isomorphic-git";

/**
 * isomorphic-git HTTP client on Node's fetch, so every request honours an AbortSignal and a
 * per-request timeout (isomorphic-git's own node client has neither).
 */
export function createHttpClient(signal: AbortSignal | undefined, timeoutMs: number): HttpClient {
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const signals = [AbortSignal.timeout(timeoutMs)];
      if (signal) signals.push(signal);
      let body: Uint8Array | undefined;
      if (req.body) {
        const parts: Uint8Array[] = [];
        for await (const chunk of req.body) parts.push(chunk);
        body = Buffer.concat(parts);
      }
      const res = await fetch(req.url, {
        method: req.method ?? "GET",
        headers: req.headers ?? {},
        ...(body ? { body } : {}),
        signal: AbortSignal.any(signals),
        redirect: "follow",
      });
      const headers: Record<string, string> = {};
      res.headers.forEach((value, key) => {
        headers[key] = value;
      });
      return {
        url: res.url,
        method: req.method ?? "GET",
        statusCode: res.status,
        statusMessage: res.statusText,
        headers,
        body: res.body ? iterate(res.body) : (async function* () {})(),
      };
    },
  };
}

async function* iterate(stream: ReadableStream<Uint8Array>): AsyncIterableIterator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
