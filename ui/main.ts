/**
 * Bosun's dashboard: a shell (navigation, engine status, stale banner), a router over /ui/* paths,
 * and one EventSource per browser (/api/stream) that tells the current view to refresh.
 */
import "./app.css";
import { ApiError, getJson, type Summary } from "./api.ts";
import { ago, h, replace, shortSha } from "./dom.ts";
import { fleetView } from "./fleet.ts";
import type { View } from "./view.ts";
import { driftView, historyView, objectView, rolloutsView } from "./views.ts";

const NAV: [string, string][] = [
  ["/ui/fleet", "Fleet"],
  ["/ui/rollouts", "Rollouts"],
  ["/ui/drift", "Drift"],
  ["/ui/history", "History"],
];

const root = document.getElementById("app")!;
const nav = h(
  "nav",
  { "aria-label": "Views" },
  h(
    "ul",
    {},
    NAV.map(([href, label]) => h("li", {}, h("a", { href }, label))),
  ),
);
const engineLine = h("p", { class: "engine", role: "status", "data-testid": "engine-status" });
const banner = h("div", { class: "banner", role: "alert", "data-testid": "stale-banner", hidden: true });
const main = h("main", { id: "main", tabindex: -1 });
root.append(
  h("a", { class: "skip", href: "#main" }, "Skip to content"),
  h("header", {}, h("p", { class: "brand" }, "Bosun"), nav, engineLine),
  banner,
  main,
);

let view: View | undefined;
let summary: Summary | undefined;
let streamDown = false;

function renderEngine(): void {
  if (!summary) {
    banner.hidden = !streamDown;
    banner.textContent = streamDown ? "The engine does not answer; reconnecting…" : "";
    return;
  }
  const e = summary.engine;
  replace(
    engineLine,
    `commit `,
    h("code", {}, shortSha(e.appliedCommit)),
    ` · last pass ${ago(e.lastPassAt)}${e.lastPassOutcome ? ` (${e.lastPassOutcome})` : ""} · ${summary.objects} objects · ${summary.devices.toLocaleString("en")} devices · ${summary.drifted} drifted`,
  );
  const stale = e.stale || (e.lastPassAt !== undefined && Date.now() - e.lastPassAt > e.staleAfterMs);
  const text = streamDown
    ? "Live updates are interrupted: the engine does not answer. What you see may be old; reconnecting…"
    : stale
      ? `Stale: the engine has not finished a pass for ${Math.round((Date.now() - (e.lastPassAt ?? e.startedAt)) / 1000)} s. What you see may be old.`
      : "";
  banner.hidden = text === "";
  banner.dataset["stale"] = String(text !== "");
  banner.textContent = text;
}

function route(): View {
  const url = new URL(location.href);
  const parts = url.pathname
    .split("/")
    .filter((p) => p !== "")
    .map(decodeURIComponent);
  switch (parts[1]) {
    case "rollouts":
      return rolloutsView();
    case "drift":
      return driftView();
    case "history":
      return historyView();
    case "objects":
      if (parts.length === 5) return objectView(parts[2]!, parts[3] === "_" ? "" : parts[3]!, parts[4]!);
      return fleetView(url.searchParams, navigate);
    default:
      return fleetView(url.searchParams, navigate);
  }
}

let refreshing: Promise<void> | undefined;
let again = false;

/** Refreshes the current view; calls while one runs collapse into one more. */
function refresh(): void {
  if (refreshing) {
    again = true;
    return;
  }
  const current = view;
  if (!current) return;
  refreshing = current
    .refresh()
    .catch((error: unknown) => {
      if (current !== view) return;
      const text =
        error instanceof ApiError && error.status === 401
          ? "Not signed in: reload the page to sign in."
          : `Cannot load this view: ${error instanceof Error ? error.message : String(error)}`;
      replace(current.el, h("h1", {}, current.title), h("p", { class: "error", role: "alert" }, text));
    })
    .finally(() => {
      refreshing = undefined;
      if (again) {
        again = false;
        refresh();
      }
    });
}

function show(): void {
  view = route();
  for (const a of nav.querySelectorAll("a")) {
    const here =
      location.pathname === a.getAttribute("href") ||
      (a.getAttribute("href") === "/ui/fleet" && /^\/ui\/?$/.test(location.pathname));
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${view.title} · Bosun`;
  replace(main, view.el);
  main.dataset["view"] = view.title.toLowerCase();
  refresh();
}

function navigate(href: string): void {
  history.pushState(null, "", href);
  show();
  main.focus();
}

document.addEventListener("click", (e) => {
  const a = (e.target as Element).closest?.("a");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  const href = a.getAttribute("href");
  if (!href || !href.startsWith("/ui")) return;
  e.preventDefault();
  navigate(href);
});
addEventListener("popstate", show);

function connect(): void {
  const stream = new EventSource("/api/stream");
  stream.addEventListener("update", (e) => {
    const next = JSON.parse((e as MessageEvent<string>).data) as Summary;
    const changed = summary === undefined || next.seq !== summary.seq;
    summary = next;
    streamDown = false;
    renderEngine();
    document.body.dataset["seq"] = String(next.seq);
    if (changed) refresh();
  });
  stream.addEventListener("error", () => {
    streamDown = stream.readyState !== EventSource.OPEN;
    renderEngine();
  });
}

setInterval(renderEngine, 5000);
getJson<Summary>("/api/summary")
  .then((s) => {
    summary = s;
    renderEngine();
  })
  .catch(() => undefined);
show();
connect();
