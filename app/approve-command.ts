import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
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
} from "../engine/index.ts";

export const approveCommand: Command = {
  name: "approve",
  summary: "approve a rollout wave for the current revision: write (and commit) the approval file",
  usage: `Usage: bosun approve DeviceProcessDeployment/NAME --wave WAVE [--namespace NS] [--repo DIR] [--commit | --print]

Writes approvals/NS/NAME/WAVE-REVISION.yaml into the fleet repo working tree DIR (default .),
bound to the deployment's current revision digest (the one \`bosun plan\` shows). An approval
for another revision is refused by the engine, so a new release needs a new approval.

Options:
  --wave WAVE         the wave to approve (required)
  --namespace NS      the deployment's namespace (default: the fleet's default namespace)
  --repo DIR          fleet repo working tree (default .)
  --commit            also commit the file (git); push it yourself or open a PR
  --print             print the file instead of writing it (for a PR made elsewhere)
  --approved-by WHO   recorded in the approval (default $USER)
  -h, --help          show this help

Exit codes: 0 written, 1 the deployment or wave does not exist or the fleet is invalid, 2 usage.`,
  async run({ args, stdout, stderr, signal }) {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        wave: { type: "string" },
        namespace: { type: "string" },
        repo: { type: "string", default: "." },
        commit: { type: "boolean", default: false },
        print: { type: "boolean", default: false },
        "approved-by": { type: "string" },
      },
    });
    const target = positionals[0];
    const match = target
      ? /^(?:DeviceProcessDeployment|deviceprocessdeployment|dpd)\/([a-z0-9][-a-z0-9.]*)$/.exec(target)
      : null;
    if (!match || positionals.length !== 1)
      throw new UsageError("bosun approve", "give exactly one DeviceProcessDeployment/NAME");
    if (!values.wave) throw new UsageError("bosun approve", "--wave WAVE is required");
    if (values.commit && values.print) throw new UsageError("bosun approve", "--commit and --print exclude each other");
    const dir = values.repo;
    const result = loadFleet(await readDirectory(dir, signal));
    if (!result.ok) {
      for (const d of result.diagnostics) stderr.write(`${formatDiagnostic(d)}\n`);
      stderr.write("bosun approve: the fleet is invalid; fix it first\n");
      return ExitCode.Failure;
    }
    const namespace = values.namespace ?? result.config.defaults.namespace;
    const object = result.objects.find(
      (o) => o.kind === "DeviceProcessDeployment" && o.name === match[1] && o.namespace === namespace,
    );
    if (!object) {
      stderr.write(
        `bosun approve: DeviceProcessDeployment ${namespace}/${match[1]} is not in ${dir}; check --namespace\n`,
      );
      return ExitCode.Failure;
    }
    const deployment = readDeployment(object, result.config);
    if (!deployment.waves.some((w) => w.name === values.wave)) {
      stderr.write(
        `bosun approve: DeviceProcessDeployment ${namespace}/${deployment.name} has no wave ${JSON.stringify(values.wave)}; waves: ${deployment.waves.map((w) => w.name).join(", ")}\n`,
      );
      return ExitCode.Failure;
    }
    const doc = approvalDocument({
      namespace,
      name: deployment.name,
      wave: values.wave,
      revision: deployment.revision,
      approvedBy: values["approved-by"] ?? process.env["USER"] ?? "unknown",
      folder: result.config.paths.approvals,
    });
    if (values.print) {
      stdout.write(`# ${doc.path}\n${doc.text}`);
      return ExitCode.Ok;
    }
    await mkdir(dirname(join(dir, doc.path)), { recursive: true });
    await writeFile(join(dir, doc.path), doc.text);
    stdout.write(`wrote ${doc.path}: wave ${values.wave} of revision ${deployment.revision}\n`);
    if (values.commit) {
      await git.add({ fs, dir, filepath: doc.path });
      const sha = await git.commit({
        fs,
        dir,
        message: `Approve wave ${values.wave} of ${namespace}/${deployment.name} at revision ${deployment.revision}`,
        author: {
          name: values["approved-by"] ?? process.env["USER"] ?? "bosun approve",
          email: process.env["EMAIL"] ?? "bosun-approve@localhost",
        },
      });
      stdout.write(`committed ${sha.slice(0, 12)}; push it to let the engine continue\n`);
    }
    return ExitCode.Ok;
  },
};
