/**
 * Which paths of a fleet repo go to the loader at all: `.yaml`, `.yml`, `.json` (bosun.yaml
 * included). One rule for a commit (engine/git/read-files.ts) and a working tree
 * (read-directory.ts), so `bosun validate` sees what the engine sees. Pure.
 */
export function isFleetPath(path: string): boolean {
  return /\.(ya?ml|json)$/i.test(path);
}
