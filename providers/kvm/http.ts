import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export interface HealthSource {
  /** Empty when healthy, else why not. */
  problems(): string[];
  /** `/version`: the provider's and runtime's versions. */
  version(): Record<string, string>;
}

/**
 * `/healthz` (200 `ok`, 503 with the problems), `/version` (JSON: provider, node, platform, libvirt) and `/metrics`
 * (Prometheus text), as operatorkit serves them.
 */
export function startHttp(host: string, port: number, registry: Registry, health: HealthSource): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") {
      res.writeHead(405).end();
      return;
    }
    if (path === "/healthz") {
      const problems = health.problems();
      res.writeHead(problems.length === 0 ? 200 : 503, { "content-type": "text/plain" });
      res.end(problems.length === 0 ? "ok\n" : `${problems.join("\n")}\n`);
    } else if (path === "/version") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`${JSON.stringify(health.version())}\n`);
    } else if (path === "/metrics") {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500).end(String(err));
        },
      );
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
