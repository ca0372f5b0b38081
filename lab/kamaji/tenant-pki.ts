/**
 * One tenant control plane's PKI, as Kamaji (kubeadm phases) makes it: a tenant CA, the apiserver's
 * serving cert for the control-plane endpoint, the admin identities of `admin.conf`
 * (kubernetes-admin in kubeadm:cluster-admins) and `super-admin.conf` (system:masters), the
 * controller-manager's client cert and the service-account key pair. openssl, 0600 keys.
 */
import { execFile } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { KamajiLabError } from "./errors.ts";

const run = promisify(execFile);

export interface TenantPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly admin: { readonly cert: string; readonly key: string };
  readonly superAdmin: { readonly cert: string; readonly key: string };
  readonly controllerManager: { readonly cert: string; readonly key: string };
  readonly saKey: string;
  readonly saPub: string;
}

async function openssl(args: string[], signal?: AbortSignal): Promise<void> {
  try {
    await run("openssl", args, signal ? { signal } : {});
  } catch (err) {
    throw new KamajiLabError(`openssl ${args[0] ?? ""} failed`, { cause: err });
  }
}

async function signed(
  dir: string,
  name: string,
  subject: string,
  ext: string[],
  ca: { cert: string; key: string },
  signal?: AbortSignal,
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", subject], signal);
  await writeFile(extFile, [...ext, ""].join("\n"));
  await openssl(
    ["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-out", cert].concat([
      "-days",
      "3650",
      "-extfile",
      extFile,
    ]),
    signal,
  );
  return { cert, key };
}

export async function createTenantPki(dir: string, address: string, signal?: AbortSignal): Promise<TenantPki> {
  const ca = { cert: join(dir, "ca.crt"), key: join(dir, "ca.key") };
  await openssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca.key, "-out", ca.cert, "-days", "3650"].concat([
      "-subj",
      "/CN=kubernetes",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    ]),
    signal,
  );
  const client = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment"];
  const serving = await signed(
    dir,
    "apiserver",
    "/CN=kube-apiserver",
    [
      ...client,
      "extendedKeyUsage=serverAuth",
      `subjectAltName=IP:${address},IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc`,
    ],
    ca,
    signal,
  );
  const clientAuth = [...client, "extendedKeyUsage=clientAuth"];
  const [admin, superAdmin, controllerManager] = await Promise.all([
    signed(dir, "admin", "/O=kubeadm:cluster-admins/CN=kubernetes-admin", clientAuth, ca, signal),
    signed(dir, "super-admin", "/O=system:masters/CN=kubernetes-super-admin", clientAuth, ca, signal),
    signed(dir, "controller-manager", "/CN=system:kube-controller-manager", clientAuth, ca, signal),
  ]);
  const saKey = join(dir, "sa.key");
  const saPub = join(dir, "sa.pub");
  await openssl(["genrsa", "-out", saKey, "2048"], signal);
  await openssl(["rsa", "-in", saKey, "-pubout", "-out", saPub], signal);
  return {
    caCert: ca.cert,
    caKey: ca.key,
    servingCert: serving.cert,
    servingKey: serving.key,
    admin,
    superAdmin,
    controllerManager,
    saKey,
    saPub,
  };
}

/** kubeadm's discovery hash of a CA: `sha256:` + hex SHA-256 of its SubjectPublicKeyInfo (DER). */
export async function caCertHash(caCertFile: string): Promise<string> {
  const cert = new X509Certificate(await readFile(caCertFile));
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}

/** A kubeconfig with embedded client cert (as Kamaji writes admin.conf). Holds a key: never log it. */
export async function kubeconfigWithCert(
  server: string,
  caCert: string,
  user: string,
  pair: { cert: string; key: string },
  clusterName: string,
): Promise<string> {
  const b64 = async (f: string): Promise<string> => (await readFile(f)).toString("base64");
  const ctx = `${user}@${clusterName}`;
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${clusterName}`,
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${await b64(caCert)}`,
    "users:",
    `- name: ${user}`,
    "  user:",
    `    client-certificate-data: ${await b64(pair.cert)}`,
    `    client-key-data: ${await b64(pair.key)}`,
    "contexts:",
    `- name: ${ctx}`,
    "  context:",
    `    cluster: ${clusterName}`,
    `    user: ${user}`,
    `current-context: ${ctx}`,
    "",
  ].join("\n");
}
