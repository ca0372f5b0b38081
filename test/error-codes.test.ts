import { describe, expect, it } from "vitest";
import { AgentError, KubeApiError } from "../agent/errors.ts";
import { CredentialError } from "../engine/git/credentials.ts";
import { GitSourceError } from "../engine/git/errors.ts";
import { LocalDirError } from "../engine/loop/local-pass.ts";
import { WebhookSecretError } from "../engine/loop/webhook-secret.ts";
import { BosunError } from "../engine/model/errors.ts";
import { StatusFolderError } from "../engine/status/folder-writer.ts";
import { StatusWriteError } from "../engine/status/writer.ts";
import { SimulatorError } from "../lab/devices/errors.ts";
import { KubeLabError } from "../lab/kube/errors.ts";

/**
 * Every typed error of engine/git, engine/loop, engine/status, lab/ and agent/ is a BosunError:
 * its message starts with its subject, `code` is stable upper snake case, the cause is kept, and
 * the class's own field (kind) is still there for the code that keys on it.
 */
const cause = new Error("underlying");
/** [error, its code, how its message starts] */
const cases: [BosunError, string, string][] = [
  [
    new GitSourceError("ref-missing", "http://git/r ref main", "no such branch", { cause }),
    "GIT_REF_MISSING",
    "http://git/r ref main: ref-missing: no such branch (",
  ],
  [
    new CredentialError("creds.yaml", "is not YAML", { cause }),
    "GIT_CREDENTIALS",
    "git credentials file creds.yaml: is not YAML",
  ],
  [
    new LocalDirError("fleet", "cannot read the fleet files (EACCES)", { cause }),
    "LOCAL_DIR",
    "local directory fleet: cannot read the fleet files (EACCES) (check",
  ],
  [new WebhookSecretError("file x is empty", { cause }), "WEBHOOK_SECRET", "webhook secret: file x is empty"],
  [
    new StatusWriteError("status push to u branch b", "rejected 6 times", { cause }),
    "STATUS_WRITE",
    "status push to u branch b: rejected 6 times",
  ],
  [
    new StatusFolderError("status", "cannot write status to it (EACCES)", { cause }),
    "STATUS_FOLDER",
    "status folder status: cannot write status to it (EACCES)",
  ],
  [
    new KubeLabError("kube-apiserver already running", { cause }),
    "KUBE_LAB",
    "kube lab: kube-apiserver already running",
  ],
  [
    new SimulatorError("InvalidArgs", "--kubeconfig is required", { cause }),
    "SIMULATOR_INVALID_ARGS",
    "device simulator: --kubeconfig is required",
  ],
  [
    new AgentError("ChecksumMismatch", "DeviceProcess ns/a", "checksum mismatch", { cause }),
    "AGENT_CHECKSUM_MISMATCH",
    "DeviceProcess ns/a: checksum mismatch",
  ],
];

describe("typed errors share BosunError", () => {
  it.each(cases)("%s has code %s and a subject-first message", (err, code, start) => {
    expect(err).toBeInstanceOf(BosunError);
    expect(err.code).toBe(code);
    expect(err.code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    expect(err.message.startsWith(start)).toBe(true);
    expect(err.message.startsWith(`${err.subject}: `)).toBe(true);
    expect(err.cause).toBe(cause);
    expect(err.name).toBe(err.constructor.name);
  });

  it("keeps each class's own field", () => {
    expect(new GitSourceError("auth", "s", "d").kind).toBe("auth");
    expect(new SimulatorError("InvalidSpec", "m").kind).toBe("InvalidSpec");
    expect(new AgentError("DownloadFailed", "s", "m").kind).toBe("DownloadFailed");
    const gone = new KubeApiError("Kubernetes API GET /x", 410, "Expired", "too old");
    expect(gone).toMatchObject({ kind: "KubeGone", code: "AGENT_KUBE_GONE", status: 410, reason: "Expired" });
    expect(gone.name).toBe("KubeApiError");
    expect(gone.message).toBe("Kubernetes API GET /x: HTTP 410 Expired: too old");
  });
});
