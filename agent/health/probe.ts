/** Runs one health probe: exec (through the backend: host or container) or HTTP GET on 127.0.0.1. 2xx/3xx = healthy. */
import type { HealthCheckSpec } from "../model.ts";
import { request } from "../net/request.ts";
import type { Backend } from "../backends/types.ts";
import type { Launch } from "../supervise/launch.ts";

export async function probeOnce(
  spec: HealthCheckSpec,
  backend: Backend,
  l: Launch,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  if (spec.exec) return backend.execProbe(l, spec.exec.command, timeoutMs, signal);
  if (spec.http) {
    const scheme = spec.http.scheme === "HTTPS" ? "https" : "http";
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(new Error("health check timed out")), timeoutMs);
    const onAbort = (): void => ctrl.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      // Like a kubelet probe: the device's own process, so its certificate is not verified.
      const res = await request(`${scheme}://127.0.0.1:${spec.http.port}${spec.http.path ?? "/"}`, {
        signal: ctrl.signal,
        timeoutMs,
        tls: { insecureSkipVerify: true },
        headers: { "user-agent": "bosun-agent-probe" },
      });
      res.resume();
      const code = res.statusCode ?? 0;
      return code >= 200 && code < 400;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
  return true;
}
