/**
 * Device identity through the Kubernetes bootstrap-token model: with a bootstrap token the agent
 * creates a CertificateSigningRequest (certificates.k8s.io/v1, signer
 * kubernetes.io/kube-apiserver-client, CN bosun-device:<device>, O bosun:devices) for a key it
 * generated locally, waits for approval and signing, stores key + certificate in the cert dir and
 * uses them. Before 80 % of the certificate's lifetime has passed it renews with a new key,
 * authenticated by the current certificate.
 */
import { randomBytes, X509Certificate } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AgentError, errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import { sleep } from "../backends/proc.ts";
import { KubeClient } from "../kube/client.ts";
import type { KubeConnectionConfig } from "../kube/kubeconfig.ts";
import { buildCsr, deviceCommonName, DEVICE_GROUP, generateDeviceKey } from "./csr.ts";
import { isoTime } from "../iso-time.ts";

export interface IdentityOptions {
  device: string;
  server: string;
  /** CA of the API server (verifies it; the bootstrap token is never sent to an unverified server). */
  ca?: Buffer;
  bootstrapToken?: string;
  certDir: string;
  log: Logger;
  /** Renew when this fraction of the lifetime has passed (default 0.8). */
  renewAt?: number;
  pollMs?: number;
  /** Give up waiting for approval after this long (default 1 h, the bootstrap token's typical lifetime). */
  approvalTimeoutMs?: number;
}

interface Csr {
  metadata: { name: string };
  status?: { certificate?: string; conditions?: { type: string; reason?: string; message?: string }[] };
}

export class DeviceIdentity {
  constructor(private readonly o: IdentityOptions) {}

  get keyFile(): string {
    return join(this.o.certDir, "device.key");
  }
  get certFile(): string {
    return join(this.o.certDir, "device.crt");
  }
  private get subject(): string {
    return `device identity ${deviceCommonName(this.o.device)}`;
  }

  private conn(cert: Buffer, key: Buffer): KubeConnectionConfig {
    return { server: this.o.server, tls: { cert, key, ...(this.o.ca ? { ca: this.o.ca } : {}) } };
  }

  /** The stored certificate if valid, else a new one through the bootstrap token. */
  async ensure(signal?: AbortSignal): Promise<KubeConnectionConfig> {
    const stored = await this.stored();
    if (stored && new Date(stored.x509.validTo).getTime() > Date.now() + 60_000)
      return this.conn(stored.cert, stored.key);
    if (!this.o.bootstrapToken)
      throw new AgentError(
        "IdentityFailed",
        this.subject,
        `no valid client certificate in ${this.o.certDir} and no --bootstrap-token to request one`,
      );
    const client = new KubeClient({
      server: this.o.server,
      tls: this.o.ca ? { ca: this.o.ca } : {},
      token: this.o.bootstrapToken,
    });
    try {
      return await this.request(client, signal);
    } finally {
      client.close();
    }
  }

  async stored(): Promise<{ cert: Buffer; key: Buffer; x509: X509Certificate } | undefined> {
    try {
      const [cert, key] = await Promise.all([readFile(this.certFile), readFile(this.keyFile)]);
      return { cert, key, x509: new X509Certificate(cert) };
    } catch {
      return undefined;
    }
  }

  /** Creates the CSR with `client`'s credentials and waits for the signed certificate. */
  async request(client: KubeClient, signal?: AbortSignal): Promise<KubeConnectionConfig> {
    const k = generateDeviceKey();
    const csrPem = buildCsr(
      { commonName: deviceCommonName(this.o.device), organization: DEVICE_GROUP },
      k.privateKey,
      k.publicKey,
    );
    const name = `bosun-device-${this.o.device}-${randomBytes(4).toString("hex")}`;
    const path = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
    await client.json(
      "POST",
      path,
      {
        apiVersion: "certificates.k8s.io/v1",
        kind: "CertificateSigningRequest",
        metadata: { name, labels: { "bosun.dev/device": this.o.device } },
        spec: {
          request: Buffer.from(csrPem).toString("base64"),
          signerName: "kubernetes.io/kube-apiserver-client",
          usages: ["digital signature", "client auth"],
        },
      },
      signal ? { signal } : {},
    );
    this.o.log.info("certificate signing request created; waiting for approval", { csr: name });
    const deadline = Date.now() + (this.o.approvalTimeoutMs ?? 3_600_000);
    for (;;) {
      const csr = await client.json<Csr>("GET", `${path}/${name}`, undefined, signal ? { signal } : {});
      const denied = csr.status?.conditions?.find((c) => c.type === "Denied" || c.type === "Failed");
      if (denied)
        throw new AgentError(
          "IdentityFailed",
          this.subject,
          `CSR ${name} was ${denied.type.toLowerCase()}: ${denied.reason ?? ""} ${denied.message ?? ""}`.trim(),
        );
      if (csr.status?.certificate) {
        const cert = Buffer.from(csr.status.certificate, "base64");
        const key = Buffer.from(k.privateKeyPem);
        await this.store(cert, key);
        const x509 = new X509Certificate(cert);
        this.o.log.info("client certificate issued", {
          csr: name,
          subject: x509.subject.replace(/\n/g, ","),
          validTo: isoTime(Date.parse(x509.validTo)),
        });
        return this.conn(cert, key);
      }
      if (Date.now() > deadline)
        throw new AgentError(
          "IdentityFailed",
          this.subject,
          `CSR ${name} was not approved in time; approve it (kubectl certificate approve ${name}) and restart the agent`,
        );
      await sleep(this.o.pollMs ?? 1000, signal);
    }
  }

  private async store(cert: Buffer, key: Buffer): Promise<void> {
    await mkdir(this.o.certDir, { recursive: true, mode: 0o700 });
    await writeFile(`${this.keyFile}.tmp`, key, { mode: 0o600 });
    await writeFile(`${this.certFile}.tmp`, cert, { mode: 0o644 });
    await rename(`${this.keyFile}.tmp`, this.keyFile);
    await rename(`${this.certFile}.tmp`, this.certFile);
  }

  /** When to renew: renewAt (0.8) of the way from notBefore to notAfter. */
  renewalTime(x509: X509Certificate): number {
    const from = new Date(x509.validFrom).getTime();
    const to = new Date(x509.validTo).getTime();
    return from + (to - from) * (this.o.renewAt ?? 0.8);
  }

  /** Renews before expiry, authenticated by the current certificate; `onRenewed` swaps the client's credentials. */
  renewInBackground(signal: AbortSignal, onRenewed: (c: KubeConnectionConfig) => void): void {
    const loop = async (): Promise<void> => {
      while (!signal.aborted) {
        const cur = await this.stored();
        if (!cur) return;
        const wait = Math.max(0, this.renewalTime(cur.x509) - Date.now());
        await sleep(Math.min(wait, 2 ** 31 - 1), signal).catch(() => undefined);
        if (signal.aborted) return;
        if (Date.now() < this.renewalTime(cur.x509)) continue;
        const client = new KubeClient(this.conn(cur.cert, cur.key));
        try {
          onRenewed(await this.request(client, signal));
          this.o.log.info("client certificate renewed");
        } catch (err) {
          this.o.log.warn("certificate renewal failed; retrying in 60 s", { error: errorMessage(err) });
          await sleep(60_000, signal).catch(() => undefined);
        } finally {
          client.close();
        }
      }
    };
    void loop();
  }
}
