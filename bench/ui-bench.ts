/**
 * Dashboard at fleet scale (issue 17): the engine's pieces at 100,000 devices (the scale bench's
 * fleet: git server, mirror, loader, FleetReconciler on the in-memory backend with 100,000 live
 * devices and processes) feed the dashboard's read model; the dashboard is served on loopback and
 * Debian's chromium (playwright-core, headless) opens the fleet view. Measured per run: the first
 * render of the fleet view (navigation start → first rows on screen, `performance.mark` in the
 * app), the browser's JS heap after it and after scrolling to the end, bytes the page downloaded,
 * and the server's time for one page of /api/fleet. `npm run bench:ui`; BENCH_RUNS (default 5),
 * BENCH_DEVICES (default 100,000). Writes bench/results/ui.md + ui.json.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { builtinKinds } from "../engine/index.ts";
import { UiReadModel, UiServer } from "../app/ui/index.ts";
import { launchChromium, type PageDocument } from "../test/ui/browser.ts";
import { fetchLoad, ingestLive, reconcile, setup, teardown } from "./scale/harness.ts";
import { median } from "./support/stats.ts";
import { writeResults } from "./support/results.ts";

// In-page code (page.evaluate) below uses the browser's document.
declare const document: PageDocument;

const RUNS = Number(process.env["BENCH_RUNS"] ?? 5);
const DEVICES = Number(process.env["BENCH_DEVICES"] ?? 100_000);
const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  // The engine side: a real pass over the scale fleet with every device live.
  const h = await setup("v1");
  const desired = await fetchLoad(h);
  ingestLive(h, DEVICES, "v1");
  const statuses = await reconcile(h, desired);
  const report = h.reports[0];
  if (!report) throw new Error("no pass report");
  const model = new UiReadModel({ kinds: builtinKinds, live: h.backend.store });
  model.applied(desired, statuses);
  model.report(report);
  model.pass({ kind: "applied", commit: h.commit ?? "bench", objects: desired.objects.length });
  const ui = new UiServer({ model, settings: { enabled: true } });
  const server = createServer((req, res) => ui.handle(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Server side: one page of the fleet (rows rebuilt from the live cache, then filtered and counted).
  const rebuildStart = performance.now();
  const firstPage = model.fleet({ limit: 200 });
  const rebuildMs = performance.now() - rebuildStart;
  if (firstPage.total < DEVICES) throw new Error(`fleet has ${firstPage.total} rows, want ≥ ${DEVICES}`);
  const serverMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    model.fleet({ offset: i * 5000, limit: 200, phase: i % 2 ? "Pending" : undefined } as never);
    serverMs.push(performance.now() - t);
  }

  const browser = await launchChromium();
  const rows: Record<string, unknown>[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send("Performance.enable");
      await page.goto(`${base}/ui/fleet`);
      await page.waitForFunction(() => performance.getEntriesByName("bosun:fleet-first-rows").length > 0, null, {
        timeout: 30_000,
      });
      const firstRender = await page.evaluate(
        () => performance.getEntriesByName("bosun:fleet-first-rows")[0]!.startTime,
      );
      const heap = async (): Promise<number> => {
        await cdp.send("HeapProfiler.collectGarbage");
        const { metrics } = await cdp.send("Performance.getMetrics");
        return metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? NaN;
      };
      const heapAfterRender = await heap();
      // Bytes over the wire for the first render: the page, its assets and the API answers (not the event stream).
      const bytesFirst = await page.evaluate(() =>
        [...performance.getEntriesByType("navigation" as never), ...performance.getEntriesByType("resource")]
          .map((e) => (e as unknown as { transferSize: number }).transferSize)
          .reduce((a, b) => a + b, 0),
      );
      // Scroll through: the middle and the end of 100,000 rows, as a person dragging the scrollbar would.
      for (const at of [0.25, 0.5, 0.75, 1]) {
        await page.evaluate((f) => {
          const v = document.querySelector('[data-testid="fleet-viewport"]')!;
          v.scrollTop = f * v.scrollHeight;
        }, at);
        await page.waitForFunction(
          () => document.querySelectorAll('[data-testid="fleet-table"] tr.row.loading').length === 0,
        );
      }
      const heapAfterScroll = await heap();
      const domRows = await page.evaluate(() => document.querySelectorAll('[data-testid="fleet-table"] tr.row').length);
      const shown = await page.getByTestId("fleet-count").textContent();
      rows.push({
        run: run + 1,
        rows: shown ?? "",
        "first render ms": Math.round(firstRender),
        "JS heap after render MiB": mib(heapAfterRender),
        "JS heap after scrolling to the end MiB": mib(heapAfterScroll),
        "rows in the DOM": domRows,
        "KiB downloaded for first render": Math.round(bytesFirst / 1024),
      });
      await context.close();
    }
  } finally {
    await browser.close();
    ui.close();
    server.close();
    await teardown(h);
  }
  const col = (name: string): number[] => rows.map((r) => Number(r[name]));
  rows.push({
    run: "median",
    rows: String(rows[0]?.["rows"] ?? ""),
    "first render ms": median(col("first render ms")),
    "JS heap after render MiB": median(col("JS heap after render MiB")),
    "JS heap after scrolling to the end MiB": median(col("JS heap after scrolling to the end MiB")),
    "rows in the DOM": median(col("rows in the DOM")),
    "KiB downloaded for first render": median(col("KiB downloaded for first render")),
  });
  writeResults("ui", `Dashboard fleet view at ${DEVICES.toLocaleString("en")} devices`, rows, [
    `Acceptance: first render under 1 s and JS heap under 100 MB. Median first render ${median(col("first render ms"))} ms, ` +
      `heap ${median(col("JS heap after render MiB"))} MiB after render, ` +
      `${median(col("JS heap after scrolling to the end MiB"))} MiB after scrolling to the end.`,
    `Server: /api/fleet page of 200 rows over ${firstPage.total.toLocaleString("en")} rows, median ` +
      `${median(serverMs).toFixed(1)} ms (filter + facets over every row); the first build of the device rows from the ` +
      `live cache ${rebuildMs.toFixed(0)} ms (later rebuilds at most once a second, after the answer while rows are under 10 s old).`,
    "JS heap = the DevTools protocol's JSHeapUsedSize after a forced GC (HeapProfiler.collectGarbage); " +
      "first render = performance.mark when the first rows of the first page are in the DOM, from navigation start.",
    `Fed by one real FleetReconciler pass (in-memory backend, the scale bench's 100 deployments) over ${DEVICES.toLocaleString("en")} live devices.`,
    `Chromium ${browser.version()} headless (Debian package, playwright-core), one fresh context per run, viewport 1280×900.`,
    `Load average (1 min) at start ${load0.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)} (2 cores shared with other work).`,
  ]);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ui failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
