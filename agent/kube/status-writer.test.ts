import { describe, expect, it } from "vitest";
import { KubeApiError } from "../errors.ts";
import { createLogger, type Logger } from "../log.ts";
import type { KubeClient } from "./client.ts";
import { StatusWriter } from "./status-writer.ts";

/** A stand-in for the API server's answers to status patches: the given errors, then success. */
function server(errors: Error[]): { client: KubeClient; patches: string[] } {
  const patches: string[] = [];
  const client = {
    json: (_method: string, path: string): Promise<unknown> => {
      const err = errors.shift();
      if (err) return Promise.reject(err);
      patches.push(path);
      return Promise.resolve({});
    },
  } as unknown as KubeClient;
  return { client, patches };
}

function logger(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const log = createLogger({
    write: (line) => {
      const rec = JSON.parse(line) as { level: string; msg: string };
      if (rec.level === "warn") warnings.push(rec.msg);
    },
  });
  return { log, warnings };
}

/** Sets one status on a fresh writer and waits until it is written; what was logged and patched. */
async function writeThrough(errors: Error[]): Promise<{ warnings: string[]; patches: string[] }> {
  const { client, patches } = server(errors);
  const { log, warnings } = logger();
  const ctrl = new AbortController();
  const writer = new StatusWriter(client, log, { base: 10, max: 20 });
  void writer.start(ctrl.signal);
  writer.set("infra", "app-dev1", { phase: "Running", conditions: [], restartCount: 0, lastTerminationReason: "" });
  await writer.flushed();
  ctrl.abort();
  return { warnings, patches };
}

describe("StatusWriter", () => {
  it("keeps retrying a forbidden write, says how to grant it, and delivers the status once allowed", async () => {
    const { warnings, patches } = await writeThrough([
      new KubeApiError("Kubernetes API", 403, "Forbidden", 'deviceprocesses.azure.com "app-dev1" is forbidden'),
    ]);
    expect(warnings[0]).toContain("bosun-agent rbac --device … --namespace infra --deviceprocess app-dev1");
    expect(patches).toEqual(["/apis/azure.com/v1alpha1/namespaces/infra/deviceprocesses/app-dev1/status"]);
  });

  it("gives no RBAC hint for other failures", async () => {
    const { warnings, patches } = await writeThrough([
      new KubeApiError("Kubernetes API", 500, "InternalError", "etcd timeout"),
    ]);
    expect(warnings).toEqual(["status write failed; will retry"]);
    expect(patches).toHaveLength(1);
  });
});
