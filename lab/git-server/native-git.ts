/**
 * Native `git` helpers for tests, benchmarks and the demo: create bare repos in a server root,
 * push a directory into one, and make commits in a scratch work tree. Never used by engine/.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { GitServerAuth } from "./server.ts";

export interface GitRunOptions {
  readonly cwd?: string;
  readonly auth?: GitServerAuth;
  readonly env?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

export const LAB_IDENTITY = { name: "Lab Human", email: "human@lab.invalid" } as const;

/** Runs native git; rejects with stderr on a non-zero exit. Credentials go in a header, not the URL. */
export function git(args: readonly string[], options: GitRunOptions = {}): Promise<string> {
  const pre: string[] = ["-c", "protocol.version=2", "-c", "init.defaultBranch=main"];
  if (options.auth) {
    const token = Buffer.from(`${options.auth.username}:${options.auth.password}`).toString("base64");
    pre.push("-c", `http.extraHeader=Authorization: Basic ${token}`);
  }
  const env = {
    ...process.env,
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: LAB_IDENTITY.name,
    GIT_AUTHOR_EMAIL: LAB_IDENTITY.email,
    GIT_COMMITTER_NAME: LAB_IDENTITY.name,
    GIT_COMMITTER_EMAIL: LAB_IDENTITY.email,
    GIT_CONFIG_NOSYSTEM: "1",
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      [...pre, ...args],
      { cwd: options.cwd, env, maxBuffer: 256 * 1024 * 1024, ...(options.signal ? { signal: options.signal } : {}) },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args[0] ?? ""} failed: ${stderr.trim() || err.message}`, { cause: err }));
        else resolve(stdout);
      },
    );
  });
}

/** Creates `<root>/<name>.git` as an empty bare repo whose HEAD names `defaultBranch`. */
export async function createBareRepo(root: string, name: string, defaultBranch = "main"): Promise<string> {
  const path = join(root, `${name}.git`);
  await mkdir(path, { recursive: true });
  await git(["init", "--bare", "--quiet", `--initial-branch=${defaultBranch}`, path]);
  return path;
}

export interface PushDirectoryOptions {
  readonly branch?: string;
  readonly message?: string;
  readonly auth?: GitServerAuth;
  readonly signal?: AbortSignal;
}

/**
 * Commits the whole content of `dir` (one commit, in a throwaway .git next to it) and pushes it to
 * `remoteUrl` as `branch` (force). Returns the commit SHA.
 */
export async function pushDirectory(
  dir: string,
  remoteUrl: string,
  options: PushDirectoryOptions = {},
): Promise<string> {
  const gitdir = await mkdtemp(join(tmpdir(), "bosun-push-"));
  const base = { auth: options.auth, signal: options.signal, env: { GIT_DIR: gitdir, GIT_WORK_TREE: dir } };
  const run = (args: string[]): Promise<string> => git(args, pruneUndefined(base));
  try {
    await run(["init", "--quiet"]);
    await run(["add", "-A", "."]);
    await run(["commit", "--quiet", "--no-gpg-sign", "-m", options.message ?? "fleet"]);
    const sha = (await run(["rev-parse", "HEAD"])).trim();
    await run(["push", "--quiet", "--force", remoteUrl, `HEAD:refs/heads/${options.branch ?? "main"}`]);
    return sha;
  } finally {
    await rm(gitdir, { recursive: true, force: true });
  }
}

export interface SigningKey {
  /** A GNUPGHOME holding the secret key. */
  readonly gnupgHome: string;
  readonly keyId: string;
}

/**
 * A scratch clone for tests: write/delete files, commit (optionally signed), push. Content is
 * text; `null` deletes the file.
 */
export class WorkTree {
  private constructor(
    readonly dir: string,
    private readonly remoteUrl: string,
    private readonly auth: GitServerAuth | undefined,
  ) {}

  /** Clones `remoteUrl` (or inits an empty tree when the repo has no commits yet). */
  static async open(remoteUrl: string, auth?: GitServerAuth): Promise<WorkTree> {
    const dir = await mkdtemp(join(tmpdir(), "bosun-wt-"));
    await git(["clone", "--quiet", remoteUrl, dir], pruneUndefined({ auth }));
    return new WorkTree(dir, remoteUrl, auth);
  }

  async checkout(branch: string, { orphan = false } = {}): Promise<void> {
    if (orphan) {
      await this.run(["checkout", "--quiet", "--orphan", branch]);
      await this.run(["rm", "-r", "--quiet", "--cached", "--ignore-unmatch", "."]);
      await this.run(["clean", "-fdq"]);
    } else {
      await this.run(["fetch", "--quiet", "origin", branch]);
      await this.run(["checkout", "--quiet", "-B", branch, "FETCH_HEAD"]);
    }
  }

  async write(files: Readonly<Record<string, string | null>>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      if (content === null) await unlink(full).catch(() => undefined);
      else {
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, content);
      }
    }
  }

  /** Stages everything, commits, returns the SHA. */
  async commit(message: string, sign?: SigningKey): Promise<string> {
    await this.run(["add", "-A", "."]);
    const args = ["commit", "--quiet", "--allow-empty", "-m", message];
    if (sign) args.push(`--gpg-sign=${sign.keyId}`);
    else args.push("--no-gpg-sign");
    await this.run(args, sign ? { GNUPGHOME: sign.gnupgHome } : {});
    return (await this.run(["rev-parse", "HEAD"])).trim();
  }

  async push(branch: string, { force = false } = {}): Promise<void> {
    await this.run(["push", "--quiet", ...(force ? ["--force"] : []), this.remoteUrl, `HEAD:refs/heads/${branch}`]);
  }

  /** write + commit + push in one go; returns the SHA. */
  async commitAndPush(
    branch: string,
    files: Readonly<Record<string, string | null>>,
    message: string,
    sign?: SigningKey,
  ): Promise<string> {
    await this.write(files);
    const sha = await this.commit(message, sign);
    await this.push(branch);
    return sha;
  }

  run(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<string> {
    return git(args, pruneUndefined({ cwd: this.dir, auth: this.auth, env }));
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Creates a throwaway GNUPGHOME with a fresh ed25519 signing key; returns it and the armored public key. */
export async function createSigningKey(
  name = "Fleet Signer",
  email = "signer@lab.invalid",
): Promise<SigningKey & { publicKey: string }> {
  const gnupgHome = await mkdtemp(join(tmpdir(), "bosun-gpg-"));
  const gpg = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile("gpg", ["--batch", "--homedir", gnupgHome, ...args], (err, stdout, stderr) =>
        err ? reject(new Error(`gpg failed: ${stderr}`, { cause: err })) : resolve(stdout),
      );
    });
  await gpg(["--passphrase", "", "--quick-gen-key", `${name} <${email}>`, "ed25519", "sign", "never"]);
  const list = await gpg(["--with-colons", "--list-secret-keys"]);
  const keyId = /^fpr:+([0-9A-F]+):/m.exec(list)?.[1];
  if (!keyId) throw new Error("gpg created no key");
  const publicKey = await gpg(["--armor", "--export", keyId]);
  return { gnupgHome, keyId, publicKey };
}

/**
 * Stops the gpg-agent (and any other GnuPG daemon) that signing with `key` started, and deletes
 * its GNUPGHOME: tests leave no daemon behind.
 */
export async function disposeSigningKey(key: SigningKey): Promise<void> {
  await new Promise<void>((resolve) => {
    execFile("gpgconf", ["--homedir", key.gnupgHome, "--kill", "all"], () => resolve());
  });
  await rm(key.gnupgHome, { recursive: true, force: true });
}

function pruneUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
