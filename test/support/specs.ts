import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * The upstream API contracts (`shared/specs`: Kamaji, Cluster API, Flightctl, Flintlock,
 * Proxmox) that live beside the project. Found via BOSUN_SPECS_DIR, or by walking up from
 * the repo to a `shared/specs` folder.
 */
export function specsDir(): string {
  const fromEnv = process.env["BOSUN_SPECS_DIR"];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  let dir = resolve(import.meta.dirname, "../..");
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "shared", "specs");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error("shared/specs not found: set BOSUN_SPECS_DIR to the folder holding the upstream CRDs");
}
