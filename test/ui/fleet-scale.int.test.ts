/**
 * The fleet view with 100,000 devices in headless chromium: the page shows the whole count but holds
 * only the rows on screen, reaches the last device by scrolling (pages fetched on the way), filters on
 * the server, and passes axe-core. Speed and heap are measured in bench/ui-bench.ts, not asserted here.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { builtinKinds } from "../../engine/index.ts";
import { UiReadModel, UiServer } from "../../app/ui/index.ts";
import { launchChromium, screenshot, seriousViolations, type PageDocument } from "./browser.ts";
import { configMap, deployment, desiredOf, fakeLive, report, rolloutWaiting, statusOf } from "./fixtures.ts";

// In-page code (page.evaluate) below uses the browser's document.
declare const document: PageDocument;

const DEVICES = 100_000;

describe("fleet view at 100,000 devices", () => {
  let server: Server;
  let ui: UiServer;
  let browser: Browser;
  let page: Page;
  let base: string;
  const requests: string[] = [];

  beforeAll(async () => {
    const model = new UiReadModel({ kinds: builtinKinds, live: fakeLive(DEVICES) });
    model.applied(desiredOf([deployment, configMap]), [
      statusOf(deployment, "WaitingForApproval"),
      statusOf(configMap, "Ready"),
    ]);
    model.report(report([], [rolloutWaiting()]));
    model.pass({ kind: "applied", commit: "c0ffee0000000000000000000000000000000000", objects: 2 });
    ui = new UiServer({ model, settings: { enabled: true } });
    server = createServer((req, res) => {
      requests.push(req.url ?? "");
      ui.handle(req, res);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    ui?.close();
    await new Promise((r) => server?.close(r));
  });

  const domRows = (): Promise<number> =>
    page.evaluate(() => document.querySelectorAll('[data-testid="fleet-table"] tr.row').length);

  it("shows the count of every row but only the rows on screen", async () => {
    await page.goto(`${base}/ui/fleet`);
    await page.waitForSelector('[data-testid="fleet-table"] tr.row:not(.loading)');
    expect(await page.getByTestId("fleet-count").textContent()).toBe("100,002 rows");
    expect(await domRows()).toBeLessThan(100);
    expect(await page.getByTestId("fleet-counts").textContent()).toContain("100,000NetworkSwitch");
    // The page asked for pages of rows, never for the whole fleet.
    const fleetCalls = requests.filter((u) => u.startsWith("/api/fleet"));
    expect(fleetCalls.length).toBeGreaterThan(0);
    for (const u of fleetCalls) expect(new URL(u, base).searchParams.get("limit")).toBe("200");
    await screenshot(page, "fleet-100k");
  });

  it("reaches the last device by scrolling", async () => {
    await page.evaluate(() => {
      const v = document.querySelector('[data-testid="fleet-viewport"]')!;
      v.scrollTop = v.scrollHeight;
    });
    await page.waitForSelector('tr.row[data-name="sw-099999"]');
    expect(await domRows()).toBeLessThan(100);
    await screenshot(page, "fleet-100k-end");
  });

  it("filters on the server and stays accessible", async () => {
    await page.getByLabel("Phase", { exact: true }).selectOption("NotReady");
    await page.waitForFunction(
      () => document.querySelector('[data-testid="fleet-count"]')?.textContent === "33,334 rows",
    );
    expect(page.url()).toContain("phase=NotReady");
    await page.waitForSelector('[data-testid="fleet-table"] tr.row:not(.loading)');
    expect(await seriousViolations(page)).toEqual([]);
  });
});
