import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeviceProcess } from "../model.ts";
import { KubeClient } from "./client.ts";
import { readPullSecret, resolveEnv } from "./refs.ts";

let server: http.Server;
let client: KubeClient;
const b64 = (s: string): string => Buffer.from(s).toString("base64");
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const objects: Record<string, unknown> = {
      "/api/v1/namespaces/ns/secrets/db": { data: { password: b64("s3cret") } },
      "/api/v1/namespaces/ns/configmaps/cfg": { data: { level: "debug" } },
      "/api/v1/namespaces/ns/secrets/regcred": {
        type: "kubernetes.io/dockerconfigjson",
        data: { ".dockerconfigjson": b64('{"auths":{}}') },
      },
    };
    const obj = objects[req.url ?? ""];
    res
      .writeHead(obj ? 200 : 404, { "content-type": "application/json" })
      .end(JSON.stringify(obj ?? { kind: "Status", code: 404, reason: "NotFound", message: "not found" }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  client = new KubeClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tls: {} });
});
afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const dp = (env: NonNullable<DeviceProcess["spec"]["execution"]["env"]>): DeviceProcess => ({
  apiVersion: "azure.com/v1alpha1",
  kind: "DeviceProcess",
  metadata: { name: "app", namespace: "ns" },
  spec: {
    deviceRef: { kind: "SOC", name: "d" },
    artifact: { type: "file", url: "file:///x", checksumSHA256: "0".repeat(64) },
    execution: { backend: "exec", command: ["/x"], env },
  },
});

describe("referenced Secrets and ConfigMaps", () => {
  it("resolves env values and valueFrom keys", async () => {
    expect(
      await resolveEnv(
        client,
        dp([
          { name: "A", value: "1" },
          { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
          { name: "LEVEL", valueFrom: { configMapKeyRef: { name: "cfg", key: "level" } } },
        ]),
      ),
    ).toEqual({ A: "1", PASSWORD: "s3cret", LEVEL: "debug" });
  });
  it("names a missing key and a missing object", async () => {
    await expect(
      resolveEnv(client, dp([{ name: "X", valueFrom: { secretKeyRef: { name: "db", key: "nope" } } }])),
    ).rejects.toThrow(/DeviceProcess ns\/app: env X: Secret db has no key nope/);
    await expect(
      resolveEnv(client, dp([{ name: "X", valueFrom: { secretKeyRef: { name: "gone", key: "k" } } }])),
    ).rejects.toThrow(/HTTP 404 NotFound/);
  });
  it("reads a dockerconfigjson pull secret", async () => {
    expect(await readPullSecret(client, "ns", "regcred")).toBe('{"auths":{}}');
  });
});
