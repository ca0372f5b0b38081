/**
 * Kamaji's validating webhook for TenantControlPlanes (the version rules of `version-policy.ts`),
 * served on 127.0.0.1 over HTTPS with its own CA and registered with the parent apiserver as
 * `vtenantcontrolplane.kb.io` (Kamaji's name), so a refused version fails the write (also a dry run)
 * with `admission webhook "vtenantcontrolplane.kb.io" denied the request: …`, as it does upstream.
 */
import { createServer, type Server } from "node:https";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFile } from "node:fs/promises";
import type { KubeClient } from "../../clients/kubernetes/index.ts";
import { TCP_API_VERSION } from "./crd.ts";
import { KamajiLabError } from "./errors.ts";
import { refuseOnCreate, refuseOnUpdate } from "./version-policy.ts";

const run = promisify(execFile);
export const WEBHOOK_NAME = "vtenantcontrolplane.kb.io";
export const WEBHOOK_CONFIGURATION = "bosun-lab-kamaji";

interface Review {
  request?: {
    uid: string;
    operation: string;
    object?: { spec?: { kubernetes?: { version?: string } }; metadata?: { deletionTimestamp?: string } };
    oldObject?: { spec?: { kubernetes?: { version?: string } } };
  };
}

export function review(body: Review, supported: string): { allowed: boolean; message?: string } {
  const req = body.request;
  const version = req?.object?.spec?.kubernetes?.version ?? "";
  let refusal: string | undefined;
  if (req?.operation === "CREATE") refusal = refuseOnCreate(version, supported);
  else if (req?.operation === "UPDATE" && req.object?.metadata?.deletionTimestamp === undefined)
    refusal = refuseOnUpdate(req.oldObject?.spec?.kubernetes?.version ?? "", version, supported);
  return refusal === undefined ? { allowed: true } : { allowed: false, message: refusal };
}

async function webhookCert(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const f = (n: string): string => join(dir, n);
  const o = async (args: string[]): Promise<void> => {
    await run("openssl", args).catch((e: unknown) => {
      throw new KamajiLabError("openssl failed for the webhook certificate", { cause: e });
    });
  };
  await o(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("wh-ca.key"), "-out", f("wh-ca.crt")].concat([
      "-days",
      "365",
      "-subj",
      "/CN=bosun-lab-kamaji-webhook-ca",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign",
    ]),
  );
  await o([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    f("wh.key"),
    "-out",
    f("wh.csr"),
    "-subj",
    "/CN=kamaji-webhook",
  ]);
  await writeFile(f("wh.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await o(
    ["x509", "-req", "-in", f("wh.csr"), "-CA", f("wh-ca.crt"), "-CAkey", f("wh-ca.key"), "-CAcreateserial"].concat([
      "-out",
      f("wh.crt"),
      "-days",
      "365",
      "-extfile",
      f("wh.ext"),
    ]),
  );
  return { ca: f("wh-ca.crt"), cert: f("wh.crt"), key: f("wh.key") };
}

export interface VersionWebhook {
  close(signal: AbortSignal): Promise<void>;
}

export async function startVersionWebhook(
  parent: KubeClient,
  dir: string,
  supported: string,
  signal: AbortSignal,
): Promise<VersionWebhook> {
  const pem = await webhookCert(dir);
  const server: Server = createServer({ cert: await readFile(pem.cert), key: await readFile(pem.key) }, (req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (text += c));
    req.on("end", () => {
      let body: Review = {};
      try {
        body = JSON.parse(text) as Review;
      } catch {
        res.writeHead(400).end();
        return;
      }
      const verdict = review(body, supported);
      const response = {
        uid: body.request?.uid ?? "",
        allowed: verdict.allowed,
        ...(verdict.message ? { status: { code: 403, reason: "Forbidden", message: verdict.message } } : {}),
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const caBundle = (await readFile(pem.ca)).toString("base64");
  const [group, version] = TCP_API_VERSION.split("/") as [string, string];
  await parent.apply(
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: WEBHOOK_CONFIGURATION, labels: { "app.kubernetes.io/name": "bosun-lab-kamaji" } },
      webhooks: [
        {
          name: WEBHOOK_NAME,
          admissionReviewVersions: ["v1"],
          sideEffects: "None",
          failurePolicy: "Fail",
          timeoutSeconds: 10,
          clientConfig: {
            url: `https://127.0.0.1:${port}/validate-kamaji-clastix-io-v1alpha1-tenantcontrolplane`,
            caBundle,
          },
          rules: [
            {
              apiGroups: [group],
              apiVersions: [version],
              operations: ["CREATE", "UPDATE"],
              resources: ["tenantcontrolplanes"],
              scope: "Namespaced",
            },
          ],
        },
      ],
    },
    { fieldManager: "bosun-lab-kamaji", force: true, signal },
  );
  return {
    async close(s) {
      await parent
        .delete(
          {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingWebhookConfiguration",
            name: WEBHOOK_CONFIGURATION,
          },
          { signal: s },
        )
        .catch(() => undefined);
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
