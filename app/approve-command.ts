import { execFile } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs, promisify } from "node:util";
import * as fs from "node:fs";
import git from "isomorphic-git";
import {
  ExitCode,
  type Command,
  loadFleet,
  readDirectory,
  readDeployment,
  formatDiagnostic,
  UsageError,
  approvalDocument,
  type FleetObject,
} from "../engine/index.ts";

const run = promisify(execFile);

export const approveCommand: Command = {
  name: "approve",
  summary: "approve a rollout wave for the current revision: write (and commit) the approval file",
  usage: `Usage: bosun approve DeviceProcessDeployment/NAME --wave WAVE [--as "NAME <EMAIL>"] [--namespace NS]
                     [--repo DIR] [--commit | --print]
       bosun approve DeviceProcessDeployment/NAME --prune [--repo DIR] [--commit]

Writes approvals/NS/NAME/WAVE-REVISION.yaml into the fleet repo working tree DIR (default .),
bound to the deployment's current revision digest (the one \`bosun plan\` shows). An approval
for another revision is refused by the engine, so a new release needs a new approval. Only a
wave with \`approval: required\` can be approved.

The approval records who approved: --as, else the repo's git identity (git config user.name and
user.email, as \`git commit\` would use them); with neither, approve refuses. --commit authors the
commit as that identity.

--prune removes this deployment's approval files for other revisions than the current one (the
engine reports them as obsolete) and, with --commit, commits the removal.

Options:
  --wave WAVE         the wave to approve (required unless --prune)
  --as "NAME <EMAIL>" who approves (default: git config user.name / user.email of DIR)
  --namespace NS      the deployment's namespace (default: the fleet's default namespace)
  --repo DIR          fleet repo working tree (default .)
  --commit            also commit the file (git); push it yourself or open a PR
  --print             print the file instead of writing it (for a PR made elsewhere)
  --prune             remove the deployment's approval files of other revisions
  -h, --help          show this help

Exit codes: 0 written, 1 the deployment or wave does not exist, the wave needs no approval, no
approver is known, or the fleet is invalid, 2 usage.`,
  async run({ args, stdout, stderr, signal }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        wave: { type: "string" },
        as: { type: "string" },
        "approved-by": { type: "string" },
        namespace: { type: "string" },
        repo: { type: "string", default: "." },
        commit: { type: "boolean", default: false },
        print: { type: "boolean", default: false },
        prune: { type: "boolean", default: false },
      },
    });
    const target = positionals[0];
    const match = target
      ? /^(?:DeviceProcessDeployment|deviceprocessdeployment|dpd)\/([a-z0-9][-a-z0-9.]*)$/.exec(target)
      : null;
    if (!match || positionals.length !== 1)
      throw new UsageError("bosun approve", "give exactly one DeviceProcessDeployment/NAME");
    if (values.prune && (values.wave || values.print))
      throw new UsageError("bosun approve", "--prune goes alone (with --repo, --namespace, --commit)");
    if (!values.prune && !values.wave) throw new UsageError("bosun approve", "--wave WAVE is required");
    if (values.commit && values.print) throw new UsageError("bosun approve", "--commit and --print exclude each other");
    if (values.as !== undefined && values["approved-by"] !== undefined)
      throw new UsageError("bosun approve", "--approved-by is the old name of --as; give one");
    const dir = values.repo;
    const fail = (message: string): number => {
      stderr.write(`bosun approve: ${message}\n`);
      return ExitCode.Failure;
    };
    const result = loadFleet(await readDirectory(dir, signal));
    if (!result.ok) {
      for (const d of result.diagnostics) stderr.write(`${formatDiagnostic(d)}\n`);
      return fail(`the fleet in ${dir} is invalid; fix it first (bosun validate ${dir})`);
    }
    const namespace = values.namespace ?? result.config.defaults.namespace;
    const object = result.objects.find(
      (o) => o.kind === "DeviceProcessDeployment" && o.name === match[1] && o.namespace === namespace,
    );
    if (!object) return fail(`DeviceProcessDeployment ${namespace}/${match[1]} is not in ${dir}; check --namespace`);
    const deployment = readDeployment(object, result.config);
    const id = `DeviceProcessDeployment ${namespace}/${deployment.name}`;

    if (values.prune) {
      const stale = result.approvals.filter(
        (a) => approves(a, namespace, deployment.name, deployment.revision) === "other",
      );
      if (stale.length === 0) {
        stdout.write(`no approval files of other revisions for ${id}\n`);
        return ExitCode.Ok;
      }
      for (const a of stale) await rm(join(dir, a.source.file), { force: true });
      stdout.write(`removed ${stale.length} approval file(s) of other revisions than ${deployment.revision}:\n`);
      for (const a of stale) stdout.write(`  ${a.source.file}\n`);
      if (values.commit) {
        const author = await repoIdentity(dir, values.as ?? values["approved-by"]);
        if ("problem" in author) return fail(author.problem);
        for (const a of stale) await git.remove({ fs, dir, filepath: a.source.file });
        const sha = await git.commit({
          fs,
          dir,
          message: `Remove obsolete approvals of ${namespace}/${deployment.name}`,
          author: author.identity,
          committer: author.identity,
        });
        stdout.write(`committed ${sha.slice(0, 12)} as ${author.identity.name} <${author.identity.email}>\n`);
      }
      return ExitCode.Ok;
    }

    const wave = deployment.waves.find((w) => w.name === values.wave);
    if (!wave)
      return fail(
        `${id} has no wave ${JSON.stringify(values.wave)}; its waves: ${deployment.waves.map((w) => w.name).join(", ")}`,
      );
    if (wave.approval !== "required") {
      const required = deployment.waves.filter((w) => w.approval === "required").map((w) => w.name);
      return fail(
        `wave ${wave.name} of ${id} rolls out without approval (approval: auto); nothing to approve` +
          (required.length > 0 ? ` (waves that need one: ${required.join(", ")})` : ""),
      );
    }
    const approver = await repoIdentity(dir, values.as ?? values["approved-by"], !values.commit);
    if ("problem" in approver) return fail(approver.problem);
    const approvedBy = approver.identity.email
      ? `${approver.identity.name} <${approver.identity.email}>`
      : approver.identity.name;
    const doc = approvalDocument({
      namespace,
      name: deployment.name,
      wave: wave.name,
      revision: deployment.revision,
      approvedBy,
      folder: result.config.paths.approvals,
    });
    if (values.print) {
      stdout.write(`# ${doc.path}\n${doc.text}`);
      return ExitCode.Ok;
    }
    await mkdir(dirname(join(dir, doc.path)), { recursive: true });
    await writeFile(join(dir, doc.path), doc.text);
    stdout.write(
      `wrote ${doc.path}: wave ${wave.name} of revision ${deployment.revision}, approved by ${approvedBy}\n`,
    );
    if (values.commit) {
      await git.add({ fs, dir, filepath: doc.path });
      const sha = await git.commit({
        fs,
        dir,
        message: `Approve wave ${wave.name} of ${namespace}/${deployment.name} at revision ${deployment.revision}`,
        author: approver.identity,
        committer: approver.identity,
      });
      stdout.write(`committed ${sha.slice(0, 12)} as ${approvedBy}; push it to let the engine continue\n`);
    }
    return ExitCode.Ok;
  },
};

/** Whether an approval names this deployment: for its current revision, another one, or not at all. */
function approves(a: FleetObject, namespace: string, name: string, revision: string): "current" | "other" | "no" {
  const spec = (a.body["spec"] ?? {}) as Record<string, unknown>;
  const target = (spec["target"] ?? {}) as Record<string, unknown>;
  if (target["kind"] !== "DeviceProcessDeployment" || target["namespace"] !== namespace || target["name"] !== name)
    return "no";
  const approved = String(spec["revision"]);
  return revision.startsWith(approved) || approved.startsWith(revision) ? "current" : "other";
}

interface Identity {
  readonly name: string;
  readonly email: string;
}

/**
 * Who approves: `--as "Name <email>"` (a bare name takes the email from git config), else the repo's
 * git identity (`git config user.name` / `user.email` in DIR: repo, global and system config, as
 * `git commit` sees them). `nameOnly`: an email is not required (the file is not committed).
 */
async function repoIdentity(
  dir: string,
  as: string | undefined,
  nameOnly = false,
): Promise<{ identity: Identity } | { problem: string }> {
  const configured = async (key: string): Promise<string | undefined> => {
    try {
      const { stdout } = await run("git", ["-C", dir, "config", "--get", key]);
      return stdout.trim() || undefined;
    } catch {
      const value = (await git.getConfig({ fs, dir, path: key }).catch(() => undefined)) as string | undefined;
      return value?.trim() || undefined;
    }
  };
  if (as !== undefined) {
    const parsed = /^\s*([^<>]*?)\s*(?:<([^<>\s]+@[^<>\s]+)>)?\s*$/.exec(as);
    const name = parsed?.[1] ?? "";
    if (!parsed || name === "")
      return {
        problem: `--as ${JSON.stringify(as)} is not "NAME <EMAIL>" (e.g. --as "Ada Lovelace <ada@example.com>")`,
      };
    const email = parsed[2] ?? (await configured("user.email"));
    if (!email && !nameOnly)
      return { problem: `--as ${JSON.stringify(as)} has no email to author the commit with; give --as "NAME <EMAIL>"` };
    return { identity: { name, email: email ?? "" } };
  }
  const name = await configured("user.name");
  const email = await configured("user.email");
  if (name && (email || nameOnly)) return { identity: { name, email: email ?? "" } };
  return {
    problem:
      `who approves? ${dir} has no git identity (user.name and user.email); ` +
      `pass --as "NAME <EMAIL>" or run git -C ${dir} config user.name "NAME" and git -C ${dir} config user.email EMAIL`,
  };
}
