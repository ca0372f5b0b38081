/**
 * The fleet view: counts at a glance, filters, search, and a virtualised table. Only the rows on
 * screen are in the DOM and only the pages around them are fetched (200 rows each, at most
 * MAX_PAGES kept), so 100,000 devices cost the browser a few pages.
 */
import { getJson, type FleetPage, type FleetRow } from "./api.ts";
import { h, replace } from "./dom.ts";
import type { View } from "./view.ts";

const ROW = 32;
const PAGE = 200;
const MAX_PAGES = 12;
const OVERSCAN = 10;

export function objectHref(r: { kind: string; namespace: string; name: string }): string {
  return `/ui/objects/${encodeURIComponent(r.kind)}/${encodeURIComponent(r.namespace || "_")}/${encodeURIComponent(r.name)}`;
}

function options(label: string, id: string, facet: Record<string, number>, value: string): HTMLElement {
  const select = h(
    "select",
    { id, name: id },
    h("option", { value: "" }, `all`),
    Object.keys(facet)
      .sort()
      .map((k) => h("option", { value: k, selected: k === value }, `${k} (${facet[k]})`)),
  );
  return h("div", { class: "field" }, h("label", { for: id }, label), select);
}

export function fleetView(params: URLSearchParams, navigate: (url: string) => void): View {
  const filters = {
    backend: params.get("backend") ?? "",
    kind: params.get("kind") ?? "",
    phase: params.get("phase") ?? "",
    q: params.get("q") ?? "",
  };
  const pages = new Map<number, FleetRow[]>();
  const loading = new Set<number>();
  let generation = 0;
  let total = 0;
  let facets: FleetPage["facets"] | undefined;
  let marked = false;

  const el = h("section", { "aria-labelledby": "fleet-title", class: "fleet" });
  const title = h("h1", { id: "fleet-title" }, "Fleet");
  const cards = h("div", { class: "facets", "data-testid": "fleet-counts" });
  const controls = h("form", { role: "search", class: "filters", "aria-label": "Filter the fleet" });
  const count = h("p", { class: "count", "aria-live": "polite", "data-testid": "fleet-count" });
  const viewport = h("div", {
    class: "viewport",
    tabindex: 0,
    role: "region",
    "aria-label": "Fleet objects (scroll for more)",
    "data-testid": "fleet-viewport",
  });
  const top = h("tr", { "aria-hidden": "true", class: "spacer" });
  const bottom = h("tr", { "aria-hidden": "true", class: "spacer" });
  const body = h("tbody", {});
  const table = h(
    "table",
    { class: "rows", "data-testid": "fleet-table" },
    h("caption", { class: "sr-only" }, "Fleet objects and devices"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Kind", "Namespace", "Name", "Backend", "Phase", "Message"].map((c) => h("th", { scope: "col" }, c)),
      ),
    ),
    body,
  );
  viewport.append(table);
  el.append(title, cards, controls, count, viewport);

  const query = (offset: number): string => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) p.set(k, v);
    p.set("offset", String(offset));
    p.set("limit", String(PAGE));
    return `/api/fleet?${p.toString()}`;
  };

  const renderControls = (): void => {
    if (!facets) return;
    const search = h("input", { id: "q", name: "q", type: "search", value: filters.q, autocomplete: "off" });
    replace(
      controls,
      options("Backend", "backend", facets.backend, filters.backend),
      options("Kind", "kind", facets.kind, filters.kind),
      options("Phase", "phase", facets.phase, filters.phase),
      h("div", { class: "field" }, h("label", { for: "q" }, "Search names"), search),
      h("button", { type: "submit" }, "Apply"),
    );
  };
  controls.addEventListener("change", (e) => {
    const t = e.target as HTMLSelectElement;
    if (t.tagName === "SELECT") apply(t.name, t.value);
  });
  controls.addEventListener("submit", (e) => {
    e.preventDefault();
    apply("q", (controls.querySelector("#q") as HTMLInputElement).value.trim());
  });
  const apply = (name: string, value: string): void => {
    (filters as Record<string, string>)[name] = value;
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) p.set(k, v);
    const qs = p.toString();
    navigate(`/ui/fleet${qs ? `?${qs}` : ""}`);
  };

  const group = (label: string, param: string, facet: Record<string, number>): HTMLElement =>
    h(
      "div",
      { class: "group" },
      h("h2", { class: "group-label", id: `facet-${param}` }, label),
      h(
        "ul",
        { class: "cards", "aria-labelledby": `facet-${param}` },
        Object.entries(facet)
          .sort((a, b) => b[1] - a[1])
          .map(([value, n]) =>
            h(
              "li",
              { class: `card ${param === "phase" ? `phase-${value.toLowerCase()}` : ""}` },
              h(
                "a",
                { href: `/ui/fleet?${param}=${encodeURIComponent(value)}` },
                h("span", { class: "n" }, n.toLocaleString("en")),
                value,
              ),
            ),
          ),
      ),
    );
  const renderCards = (): void => {
    if (!facets) return;
    replace(
      cards,
      group("By phase", "phase", facets.phase),
      group("By backend", "backend", facets.backend),
      group("By kind", "kind", facets.kind),
    );
  };

  const renderWindow = (): void => {
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - OVERSCAN);
    const visible = Math.ceil((viewport.clientHeight || 600) / ROW) + 2 * OVERSCAN;
    const last = Math.min(total, first + visible);
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const page = pages.get(Math.floor(i / PAGE));
      const r = page?.[i % PAGE];
      if (!r) {
        rows.push(h("tr", { class: "row loading" }, h("td", { colspan: 6 }, "loading…")));
        continue;
      }
      const isDevice = r.backend === "inventory" && r.source === undefined;
      rows.push(
        h(
          "tr",
          { class: "row", "data-name": r.name },
          h("td", {}, r.kind),
          h("td", {}, r.namespace || "—"),
          h("td", {}, isDevice ? r.name : h("a", { href: objectHref(r) }, r.name)),
          h("td", {}, r.backend),
          h("td", {}, h("span", { class: `phase phase-${r.phase.toLowerCase()}` }, r.phase)),
          h("td", { class: "msg" }, r.message ?? ""),
        ),
      );
    }
    top.style.height = `${first * ROW}px`;
    bottom.style.height = `${Math.max(0, total - last) * ROW}px`;
    body.replaceChildren(top, ...rows, bottom);
    // For the bench: when the first rows (not placeholders) are on screen.
    if (!marked && rows.length > 0 && pages.has(0)) {
      marked = true;
      performance.mark("bosun:fleet-first-rows");
    }
    for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last - 1) / PAGE); p++) void load(p);
  };

  const load = async (p: number): Promise<void> => {
    if (pages.has(p) || loading.has(p) || (p > 0 && p * PAGE >= total)) return;
    loading.add(p);
    const gen = generation;
    try {
      const page = await getJson<FleetPage>(query(p * PAGE));
      if (gen !== generation) return;
      total = page.total;
      facets = page.facets;
      pages.set(p, page.items);
      while (pages.size > MAX_PAGES) pages.delete(pages.keys().next().value as number);
      count.textContent = `${total.toLocaleString("en")} ${total === 1 ? "row" : "rows"}`;
      if (p === 0) {
        renderCards();
        // The option counts follow the fleet, but never under the user's hands.
        if (!controls.contains(document.activeElement)) renderControls();
      }
      renderWindow();
    } finally {
      loading.delete(p);
    }
  };

  let scheduled = false;
  viewport.addEventListener("scroll", () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      renderWindow();
    });
  });

  return {
    title: "Fleet",
    el,
    async refresh() {
      generation++;
      pages.clear();
      loading.clear();
      const firstPage = Math.floor(viewport.scrollTop / ROW / PAGE);
      await load(0);
      if (firstPage > 0) await load(firstPage);
    },
  };
}
