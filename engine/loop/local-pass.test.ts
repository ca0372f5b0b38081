/**
 * `bosun validate DIR` and `bosun serve --dir DIR` read a working tree through one reader: on the
 * same tree (links, a file over paths.maxFileBytes, .git, node_modules, a non-fleet file) they see
 * the same FleetFiles (the local pass's revision is the digest of what validate reads) and the
 * loader says the same about them.
 */
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateCommand } from "../cli/validate-command.ts";
import type { DesiredState } from "../desired/load-fleet.ts";
import { readDirectory } from "../desired/read-directory.ts";
import { localRevision } from "../git/local-dir.ts";
import { createLogger } from "../log/logger.ts";
import { formatDiagnostic, type Diagnostic } from "../model/diagnostic.ts";
import type { ObjectStatus } from "../status/types.ts";
import type { ApplyContext } from "./consumer.ts";
import { runLocalPass } from "./local-pass.ts";
import type { LoopState } from "./pass.ts";

let root: string;
const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

const configMap = (name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\n`;

interface ValidateJson {
  readonly valid: boolean;
  readonly errors?: Diagnostic[];
  readonly objects?: object;
}

/** What `bosun validate DIR --format json` prints, and its exit code. */
async function validate(): Promise<{ code: number; body: ValidateJson }> {
  let text = "";
  const stdout = new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) });
  const args = [root, "--format", "json"];
  const code = await validateCommand.run({ args, stdout, stderr: sink(), signal: new AbortController().signal });
  return { code, body: JSON.parse(text) as ValidateJson };
}

/** One local-directory pass (what `bosun serve --dir` runs), recording what reaches the consumer. */
async function servePass(): Promise<{ outcome: Awaited<ReturnType<typeof runLocalPass>>; applied: string[] }> {
  const applied: string[] = [];
  const consumer = {
    apply: (desired: DesiredState, _ctx: ApplyContext): Promise<readonly ObjectStatus[]> => {
      applied.push(...desired.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`));
      return Promise.resolve([]);
    },
  };
  const state: LoopState = { consecutiveFailures: 0, passes: 0 };
  const logger = createLogger({ level: "silent", destination: sink() });
  const outcome = await runLocalPass({ dir: root, consumer, logger }, state, new AbortController().signal);
  return { outcome, applied };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "bosun-both-readers-"));
  await put("bosun.yaml", "apiVersion: bosun.dev/v1alpha1\nkind: BosunConfig\npaths:\n  maxFileBytes: 2048\n");
  await put("apps/a.yaml", configMap("a"));
  await put("apps-b/b.yml", configMap("b"));
  await put("big.yaml", `${configMap("big")}# ${"x".repeat(4096)}\n`);
  await put("notes.txt", "kind: nonsense\n");
  await put(".git/HEAD.yaml", "kind: nonsense\n");
  await put("node_modules/x/c.yaml", "kind: nonsense\n");
  await symlink("apps/a.yaml", join(root, "alias.yaml"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("validate and serve --dir on one tree", () => {
  it("read the same files and report the same problems (the big file)", async () => {
    const files = await readDirectory(root);
    const { outcome } = await servePass();
    expect(outcome.kind).toBe("invalid");
    if (outcome.kind !== "invalid") return;
    expect(outcome.commit).toBe(localRevision(files));
    const { code, body } = await validate();
    expect(code).toBe(1);
    expect(body.errors?.map(formatDiagnostic)).toEqual(outcome.diagnostics);
    expect(outcome.diagnostics.join("\n")).toMatch(/^big\.yaml:1:1: FILE_TOO_LARGE/m);
    // The alias resolves inside the tree: both see ConfigMap a twice, from apps/a.yaml and alias.yaml.
    expect(outcome.diagnostics.join("\n")).toContain("DUPLICATE_OBJECT");
  });

  it("load the same objects once the tree is valid", async () => {
    await unlink(join(root, "big.yaml"));
    await unlink(join(root, "alias.yaml"));
    const files = await readDirectory(root);
    expect(files.map((f) => f.path)).toEqual(["apps-b/b.yml", "apps/a.yaml", "bosun.yaml"]);
    const { outcome, applied } = await servePass();
    expect(outcome).toMatchObject({ kind: "applied", commit: localRevision(files), objects: 2 });
    const { code, body } = await validate();
    expect(code).toBe(0);
    const named = (name: string): unknown => expect.objectContaining({ name });
    expect(body.objects).toEqual({ ConfigMap: [named("a"), named("b")] });
    expect(applied).toEqual(["ConfigMap/default/a", "ConfigMap/default/b"]);
  });
});
