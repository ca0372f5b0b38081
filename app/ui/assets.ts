/**
 * The browser app's files (`/ui/assets/app.js`, `app.css`). A built package carries them in
 * `ui/dist/` (`npm run build:ui`, part of `npm run build`); where the sources are (the repo, tests)
 * they are bundled once in memory with esbuild on first use instead. Nothing is loaded from outside.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

export interface UiAsset {
  readonly type: string;
  readonly body: Buffer;
}

export interface UiAssets {
  get(name: string): UiAsset | undefined;
}

const TYPES: Record<string, string> = {
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/** The package root: two levels above app/ui/ from the sources, one above dist/ in the bundle. */
function roots(): string[] {
  const here = import.meta.dirname;
  return [join(here, "../.."), join(here, "..")];
}

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): { outputFiles: { path: string; contents: Uint8Array }[] };
}

/** Bundles ui/main.ts (and the CSS it imports) in memory. */
export function bundleUi(root: string, minify = true): Map<string, Buffer> {
  const esbuild = createRequire(join(root, "package.json"))("esbuild") as EsbuildLike;
  const result = esbuild.buildSync({
    entryPoints: [join(root, "ui/main.ts")],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify,
    write: false,
    outdir: join(root, "ui/dist"),
    entryNames: "app",
    legalComments: "none",
  });
  const files = new Map<string, Buffer>();
  for (const f of result.outputFiles) files.set(f.path.slice(f.path.lastIndexOf("/") + 1), Buffer.from(f.contents));
  return files;
}

let cached: Map<string, Buffer> | undefined;

function load(): Map<string, Buffer> {
  if (cached) return cached;
  // From the sources (the repo, tests): bundle what is there now, so a stale build is never served.
  for (const root of roots()) {
    if (existsSync(join(root, "ui/main.ts")) && existsSync(join(root, "node_modules/esbuild")))
      return (cached = bundleUi(root));
  }
  for (const root of roots()) {
    const dir = join(root, "ui/dist");
    if (existsSync(join(dir, "app.js")) && existsSync(join(dir, "app.css"))) {
      cached = new Map(Object.keys(TYPES).map((name) => [name, readFileSync(join(dir, name))]));
      return cached;
    }
  }
  throw new Error("the dashboard's assets are missing: run npm run build:ui");
}

export function uiAssets(): UiAssets {
  return {
    get(name) {
      const type = TYPES[name];
      if (!type) return undefined;
      const body = load().get(name);
      return body ? { type, body } : undefined;
    },
  };
}
