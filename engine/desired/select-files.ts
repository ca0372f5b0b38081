import picomatch from "picomatch";
import type { BosunConfig } from "./bosun-config.ts";

export type FileRole = "fleet" | "approval" | "ignored";

/** Decides what each path of the repo is: a fleet file, an approval, or not Bosun's business. */
export function fileClassifier(config: BosunConfig, extraExcludes: readonly string[] = []): (path: string) => FileRole {
  const include = picomatch([...config.paths.include], { dot: false });
  const exclude = picomatch([...config.paths.exclude, ...extraExcludes, "**/.git/**", ".git/**"], { dot: true });
  const approvals = config.paths.approvals.replace(/\/?$/, "/");
  return (path) => {
    if (path.startsWith(approvals)) return /\.ya?ml$/.test(path) ? "approval" : "ignored";
    if (exclude(path) || !include(path)) return "ignored";
    return "fleet";
  };
}
