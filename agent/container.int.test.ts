/**
 * container backend end to end with podman (installed by lab/podman/install.sh when missing):
 * the artifact is a busybox rootfs tar, imported as a local image (no registry), run with
 * --runtime runc, ulimits and --network=none.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe } from "vitest";
import { REPO } from "./testing/harness.ts";
import { runBackendScenario } from "./testing/scenario.ts";

const LAB = join(tmpdir(), "bosun-podman-lab");
const GLOBAL = ["--runtime", "runc"];
const RUN = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network=none"];
const podman = (...args: string[]): string =>
  execFileSync("podman", [...GLOBAL, ...args], { stdio: ["ignore", "pipe", "pipe"] }).toString();

beforeAll(() => {
  execFileSync(join(REPO, "lab/podman/install.sh"), [LAB], { stdio: ["ignore", "ignore", "inherit"] });
}, 600_000);

/** The busybox rootfs plus /version and /app.sh for one version. */
async function rootfs(version: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "bosun-rootfs-"));
  try {
    const tar = join(dir, "rootfs.tar");
    await copyFile(join(LAB, "busybox-rootfs.tar"), tar);
    await writeFile(join(dir, "version"), version);
    await writeFile(
      join(dir, "app.sh"),
      `echo "app $(cat /version) started $$"\ntrap 'echo "app $(cat /version) got TERM"; exit 0' TERM\nwhile true; do sleep 0.2; done\n`,
    );
    execFileSync("tar", ["--owner=0", "--group=0", "-rf", tar, "-C", dir, "version", "app.sh"]);
    return await readFile(tar);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const containerOf = (ns: string, name: string): string => `bosun-${ns}_${name}`.toLowerCase();

describe("container backend (podman) against the real kube-apiserver", () =>
  runBackendScenario({
    backend: "container",
    artifact: rootfs,
    command: (marker) => ({ command: ["/bin/sh", "/app.sh"], args: [marker] }),
    healthCommand: () => ["/bin/sh", "-c", "test ! -e /tmp/unhealthy"],
    makeUnhealthy: ({ ns, name }) =>
      Promise.resolve(void podman("exec", containerOf(ns, name), "/bin/sh", "-c", ": > /tmp/unhealthy")),
    makeHealthy: () => Promise.resolve(), // the restarted container starts from the image: healthy again
    agentArgs: () => [
      ...GLOBAL.map((a) => `--container-global-arg=${a}`),
      ...RUN.map((a) => `--container-run-arg=${a}`),
    ],
    // Output of removed containers (kept by the agent) + the current one.
    output: async ({ dir, ns, name }) => {
      const kept = await readFile(join(dir, "state", "logs", `bosun-${ns}_${name}.log`), "utf8").catch(() => "");
      let current = "";
      try {
        current = podman("logs", containerOf(ns, name));
      } catch {
        /* none */
      }
      return kept + current;
    },
    extraChecksAfterDeploy: ({ ns, name }) => {
      const inspect = podman(
        "inspect",
        "--format",
        "{{.HostConfig.NetworkMode}}|{{.Config.Image}}",
        containerOf(ns, name),
      ).trim();
      if (!/^none\|localhost\/bosun\//.test(inspect)) throw new Error(`unexpected container config: ${inspect}`);
      return Promise.resolve();
    },
    cleanup: ({ ns, name }) => {
      for (const id of podman("ps", "-a", "-q", "--filter", `label=bosun.dev/key=${ns}/${name}`)
        .split("\n")
        .filter(Boolean)) {
        try {
          podman("rm", "-f", id);
        } catch {
          /* gone */
        }
      }
      for (const img of podman("images", "--format", "{{.Repository}}:{{.Tag}}").split("\n")) {
        if (img.includes(`localhost/bosun/${containerOf(ns, name).replace(/_/g, "-")}`))
          try {
            podman("rmi", img);
          } catch {
            /* in use or gone */
          }
      }
      return Promise.resolve();
    },
  }));
