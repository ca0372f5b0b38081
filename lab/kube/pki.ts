import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { KubeLabError } from "./errors.ts";

const run = promisify(execFile);

/** Files of the lab PKI, all inside the environment's work dir. */
export interface LabPki {
  /** Lab CA: signs the apiserver serving cert, is the client CA and the CSR signing CA. */
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  /** Service-account token signing key pair. */
  readonly saKey: string;
  readonly saPub: string;
}

async function openssl(args: string[], signal?: AbortSignal): Promise<void> {
  try {
    await run("openssl", args, signal ? { signal } : {});
  } catch (err) {
    throw new KubeLabError(`openssl ${args[0] ?? ""} failed`, { cause: err });
  }
}

/**
 * Creates the lab PKI with openssl: a CA, a serving cert for 127.0.0.1/localhost signed by it
 * (so clients verify TLS; no insecure-skip anywhere) and an RSA service-account key pair.
 */
export async function createLabPki(dir: string, signal?: AbortSignal): Promise<LabPki> {
  const p = (f: string): string => join(dir, f);
  const pki: LabPki = {
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    servingCert: p("apiserver.crt"),
    servingKey: p("apiserver.key"),
    saKey: p("sa.key"),
    saPub: p("sa.pub"),
  };
  await openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      pki.caKey,
      "-out",
      pki.caCert,
      "-days",
      "3650",
      "-subj",
      "/CN=bosun-lab-ca",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    ],
    signal,
  );
  const csr = p("apiserver.csr");
  await openssl(
    ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", pki.servingKey, "-out", csr, "-subj", "/CN=kube-apiserver"],
    signal,
  );
  const ext = p("apiserver.ext");
  await writeFile(
    ext,
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc",
      "",
    ].join("\n"),
  );
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      pki.caCert,
      "-CAkey",
      pki.caKey,
      "-CAcreateserial",
      "-out",
      pki.servingCert,
      "-days",
      "3650",
      "-extfile",
      ext,
    ],
    signal,
  );
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await writeFile(pki.saKey, privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
  await writeFile(pki.saPub, publicKey.export({ type: "spki", format: "pem" }));
  return pki;
}

/** A random bearer token (hex, 32 bytes of entropy). */
export function randomToken(): string {
  return randomBytes(32).toString("hex");
}
