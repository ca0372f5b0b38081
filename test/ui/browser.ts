/**
 * Headless chromium for the dashboard tests and bench: Debian's package, installed by
 * lab/browser/install.sh (idempotent), driven by playwright-core. Screenshots go to
 * .tmp/ui-artifacts/ (gitignored), the CI's artifacts folder for these tests.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser, type Page } from "playwright-core";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");
// In-page code below (see PageDocument).
declare const document: PageDocument;
export const ARTIFACTS = join(root, ".tmp/ui-artifacts");

/** Installs chromium when missing and returns its path. */
export async function chromiumPath(): Promise<string> {
  const { stdout } = await run("bash", [join(root, "lab/browser/install.sh")], { timeout: 900_000 });
  const path = stdout.trim().split("\n").at(-1);
  if (!path) throw new Error("lab/browser/install.sh printed no chromium path");
  return path;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumPath(),
    headless: true,
    // Root in CI: chromium's sandbox needs an unprivileged user.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

let axeSource: string | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core (WCAG 2 A/AA rules and best practices) on the page; returns serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  // Evaluated over the DevTools protocol: the page's CSP (script-src 'self') does not apply.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<unknown> } }).axe;
    const result = (await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    })) as { violations: AxeViolation[] };
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })),
    }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/*
 * The browser's globals, as the in-page functions (page.evaluate) of the UI tests and bench use them.
 * The node program has no DOM lib (it would leak into every file), so each such file declares
 * `document`, `window` and `MutationObserver` with these types for itself.
 */
export interface PageNode {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): { readonly length: number };
  scrollTop: number;
  readonly scrollHeight: number;
}
export interface PageDocument extends PageNode {
  readonly activeElement: PageNode | null;
}
export type PageMutationObserver = new (callback: () => void) => {
  observe(target: PageNode, options: Record<string, boolean>): void;
};
