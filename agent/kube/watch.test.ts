import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../log.ts";
import type { DeviceProcess } from "../model.ts";
import { KubeClient } from "./client.ts";
import { slim, watchDeviceProcesses, type WatchEvent } from "./watch.ts";

const dp = (name: string, rv: string): DeviceProcess => ({
  apiVersion: "azure.com/v1alpha1",
  kind: "DeviceProcess",
  metadata: { name, namespace: "ns", resourceVersion: rv },
  spec: {
    deviceRef: { kind: "SOC", name: "d" },
    artifact: { type: "file", url: "file:///x", checksumSHA256: "0".repeat(64) },
    execution: { backend: "exec", command: ["/bin/true"] },
  },
});

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

describe("DeviceProcess watch", () => {
  it("resumes from the last resourceVersion after a dropped connection and re-lists after 410 Gone", async () => {
    const requests: string[] = [];
    let lists = 0;
    let watches = 0;
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const watch = url.searchParams.get("watch") === "1";
      requests.push(
        watch
          ? `WATCH rv=${url.searchParams.get("resourceVersion") ?? ""}`
          : `LIST ${url.searchParams.get("labelSelector") ?? ""}`,
      );
      if (!watch) {
        lists++;
        const body =
          lists === 1
            ? { metadata: { resourceVersion: "10" }, items: [dp("a", "5")] }
            : { metadata: { resourceVersion: "30" }, items: [dp("a", "25"), dp("c", "26")] };
        return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      }
      watches++;
      if (watches === 1) {
        res.writeHead(200, { "content-type": "application/json" });
        res.write(`${JSON.stringify({ type: "ADDED", object: dp("b", "11") })}\n`);
        res.write(`${JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "12" } } })}\n`);
        setTimeout(() => req.socket.destroy(), 50); // connection drops
        return;
      }
      if (watches === 2)
        return res
          .writeHead(410, { "content-type": "application/json" })
          .end(JSON.stringify({ kind: "Status", code: 410, reason: "Expired" }));
      if (watches === 3) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          `${JSON.stringify({ type: "ERROR", object: { kind: "Status", code: 410, message: "too old resource version" } })}\n`,
        );
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }); // held open
    });
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", () => r()));
    const client = new KubeClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tls: {} });
    const seen: string[] = [];
    let synced = 0;
    const ctrl = new AbortController();
    const done = watchDeviceProcesses({
      client,
      labelSelector: "bosun.dev/device=d",
      namespace: "ns",
      signal: ctrl.signal,
      log: silentLogger,
      backoffMs: { base: 10, max: 20 },
      onEvent: (e: WatchEvent) => seen.push(`${e.type} ${e.object.metadata.name}`),
      onSynced: () => synced++,
    });
    const end = Date.now() + 3000;
    while (watches < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    ctrl.abort();
    await done;
    client.close();
    expect(requests).toEqual([
      "LIST bosun.dev/device=d",
      "WATCH rv=10",
      "WATCH rv=12",
      "LIST bosun.dev/device=d",
      "WATCH rv=30",
      "LIST bosun.dev/device=d",
      "WATCH rv=30",
    ]);
    // b was missed while the watch was gone: the re-list reports it deleted.
    expect(seen).toEqual(["ADDED a", "ADDED b", "MODIFIED a", "ADDED c", "DELETED b"]);
    expect(synced).toBe(3);
  });

  it("keeps neither managedFields nor the last-applied copy of watched objects, but other annotations", () => {
    const obj = dp("a", "1");
    Object.assign(obj.metadata, {
      managedFields: [{ manager: "kubectl", fieldsV1: { "f:spec": {} } }],
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration": "{…}",
        "bosun.dev/capabilities": "CAP_NET_ADMIN",
      },
    });
    const out = slim(obj) as DeviceProcess & {
      metadata: { managedFields?: unknown; annotations?: Record<string, string> };
    };
    expect(out.metadata.managedFields).toBeUndefined();
    expect(out.metadata.annotations).toEqual({ "bosun.dev/capabilities": "CAP_NET_ADMIN" });
    expect(out.spec).toEqual(dp("a", "1").spec);
  });
});
