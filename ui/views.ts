/** Rollouts, drift, history and the object page. */
import { getJson, type DriftView, type ObjectPage, type PassView, type RolloutView, type WaveView } from "./api.ts";
import { ago, h, replace, shortSha, show } from "./dom.ts";
import { objectHref } from "./fleet.ts";
import type { View } from "./view.ts";

function phaseBadge(phase: string): HTMLElement {
  return h("span", { class: `phase phase-${phase.toLowerCase()}` }, phase);
}

function waveBar(w: WaveView): HTMLElement {
  const total = Math.max(w.total, 1);
  const ready = Math.min(w.ready, w.updated);
  const parts: [string, number][] = [
    ["ready", ready],
    ["updated", Math.max(0, w.updated - ready)],
    ["failed", w.failed],
    ["unreachable", w.unreachable],
  ];
  const label = `${w.name}: ${w.updated} of ${w.total} updated, ${w.ready} ready, ${w.failed} failed, ${w.unreachable} unreachable`;
  const bar = h("div", { class: "bar", role: "img", "aria-label": label });
  for (const [cls, n] of parts) {
    if (n <= 0) continue;
    const seg = h("span", { class: `seg seg-${cls}` });
    seg.style.width = `${(100 * n) / total}%`;
    bar.append(seg);
  }
  return bar;
}

export function rolloutSection(r: RolloutView, headingLevel: "h2" | "h3" = "h2"): HTMLElement {
  const id = `rollout-${r.namespace}-${r.name}`.replace(/[^A-Za-z0-9_-]/g, "_");
  const waiting =
    r.approval !== undefined
      ? h(
          "div",
          { class: "waiting", "data-testid": "approval" },
          h("p", {}, h("strong", {}, `Waiting for approval of wave ${r.approval.wave}. `), r.waiting ?? ""),
          h("p", {}, "Approve it from a clone of the fleet repo, then push:"),
          h("pre", {}, h("code", { "data-testid": "approve-command" }, r.approval.command)),
        )
      : r.waiting !== undefined
        ? h("div", { class: "waiting", "data-testid": "waiting" }, h("p", {}, h("strong", {}, "Waiting: "), r.waiting))
        : null;
  const failing =
    r.failingDevices.length > 0
      ? h(
          "div",
          { class: "failing" },
          h("h4", {}, "Failing or unreachable devices"),
          h(
            "ul",
            { "data-testid": "failing-devices" },
            r.failingDevices.map((d) => h("li", {}, d)),
            r.failingDevicesOmitted ? h("li", {}, `… and ${r.failingDevicesOmitted} more`) : null,
          ),
        )
      : null;
  return h(
    "section",
    { class: "rollout", "aria-labelledby": id, "data-testid": `rollout-${r.name}`, "data-phase": r.phase },
    h(
      headingLevel,
      { id },
      h("a", { href: objectHref(r) }, `${r.kind} ${r.namespace}/${r.name}`),
      " ",
      phaseBadge(r.phase),
    ),
    h("p", { class: "summary" }, r.summary),
    r.budget
      ? h(
          "p",
          { class: "budget", "data-testid": "budget" },
          `Budget: ${r.budget.inFlight} updating, at most ${r.budget.maxUnavailable} unavailable at once`,
        )
      : null,
    waiting,
    r.refusedApprovals.length > 0
      ? h(
          "div",
          { class: "refused" },
          h("h4", {}, "Refused approvals"),
          h(
            "ul",
            {},
            r.refusedApprovals.map((a) => h("li", {}, a)),
          ),
        )
      : null,
    h(
      "table",
      { class: "waves" },
      h("caption", { class: "sr-only" }, `Waves of ${r.name}`),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Wave", "State", "Approval", "Progress", "Updated", "Ready", "Failed", "Unreachable"].map((c) =>
            h("th", { scope: "col" }, c),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        r.waves.map((w) =>
          h(
            "tr",
            { "data-wave": w.name, "data-state": w.state },
            h("th", { scope: "row" }, w.name),
            h("td", {}, w.state),
            h("td", {}, w.approval),
            h("td", { class: "progress" }, waveBar(w)),
            h("td", { "data-col": "updated" }, `${w.updated}/${w.total}`),
            h("td", { "data-col": "ready" }, w.ready),
            h("td", { "data-col": "failed" }, w.failed),
            h("td", { "data-col": "unreachable" }, w.unreachable),
          ),
        ),
      ),
    ),
    failing,
  );
}

export function rolloutsView(): View {
  const el = h("section", { "aria-labelledby": "rollouts-title" });
  const list = h("div", { class: "rollouts" });
  el.append(h("h1", { id: "rollouts-title" }, "Rollouts"), list);
  return {
    title: "Rollouts",
    el,
    async refresh() {
      const { items } = await getJson<{ items: RolloutView[] }>("/api/rollouts");
      replace(list, items.length === 0 ? h("p", {}, "No rollouts in the fleet.") : items.map((r) => rolloutSection(r)));
    },
  };
}

function fieldList(fields: DriftView["fields"]): HTMLElement {
  return h(
    "ul",
    { class: "fields" },
    fields.map((f) =>
      h(
        "li",
        {},
        h("code", {}, f.pointer),
        f.redacted
          ? h("span", { class: "redacted" }, " values hidden (Secret)")
          : [" live ", h("code", { class: "live" }, show(f.live)), " → desired ", h("code", {}, show(f.desired))],
      ),
    ),
  );
}

export function driftView(): View {
  const el = h("section", { "aria-labelledby": "drift-title" });
  const body = h("div", {});
  el.append(h("h1", { id: "drift-title" }, "Drift"), body);
  return {
    title: "Drift",
    el,
    async refresh() {
      const { items, total } = await getJson<{ items: DriftView[]; total: number }>("/api/drift?limit=500");
      replace(
        body,
        total > items.length ? h("p", {}, `The ${items.length} newest of ${total} drifted objects.`) : null,
        items.length === 0
          ? h("p", { "data-testid": "no-drift" }, "No drift: live state matches Git.")
          : h(
              "table",
              { "data-testid": "drift-table" },
              h("caption", { class: "sr-only" }, "Drifted objects"),
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["Object", "Mode", "Fields (live → desired)", "Seen"].map((c) => h("th", { scope: "col" }, c)),
                ),
              ),
              h(
                "tbody",
                {},
                items.map((d) =>
                  h(
                    "tr",
                    { "data-testid": `drift-${d.kind}-${d.name}` },
                    h(
                      "th",
                      { scope: "row" },
                      h("a", { href: objectHref(d) }, `${d.kind} ${d.namespace ? `${d.namespace}/` : ""}${d.name}`),
                    ),
                    h("td", {}, d.mode === "corrected" ? "corrected (self-heal)" : "detect-only (self-heal off)"),
                    h("td", {}, fieldList(d.fields)),
                    h("td", {}, ago(d.seenAt)),
                  ),
                ),
              ),
            ),
      );
    },
  };
}

export function historyView(): View {
  const el = h("section", { "aria-labelledby": "history-title" });
  const body = h("div", {});
  el.append(h("h1", { id: "history-title" }, "History"), body);
  return {
    title: "History",
    el,
    async refresh() {
      const { items, total } = await getJson<{ items: PassView[]; total: number }>("/api/history?limit=200");
      replace(
        body,
        h("p", {}, `${total} passes kept (newest first).`),
        h(
          "table",
          { "data-testid": "history-table" },
          h("caption", { class: "sr-only" }, "Reconcile passes"),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["#", "When", "Outcome", "Commit", "Status commit", "Plan digests", "Changes", "Detail"].map((c) =>
                h("th", { scope: "col" }, c),
              ),
            ),
          ),
          h(
            "tbody",
            {},
            items.map((p) =>
              h(
                "tr",
                { "data-outcome": p.outcome },
                h("td", {}, p.seq),
                h(
                  "td",
                  {},
                  h("time", { datetime: new Date(p.at).toISOString() }, new Date(p.at).toLocaleTimeString("en-GB")),
                ),
                h("td", {}, p.outcome),
                h("td", {}, h("code", { title: p.commit ?? "" }, shortSha(p.commit))),
                h("td", {}, h("code", { title: p.statusCommit ?? "" }, shortSha(p.statusCommit))),
                h(
                  "td",
                  {},
                  p.planDigests.map((d) => h("code", { class: "digest" }, d.slice(0, 12))),
                ),
                h("td", {}, p.changes === undefined ? "" : `${p.written ?? 0} written / ${p.changes}`),
                h("td", { class: "msg" }, p.detail ?? ""),
              ),
            ),
          ),
        ),
      );
    },
  };
}

export function objectView(kind: string, namespace: string, name: string): View {
  const el = h("section", { "aria-labelledby": "object-title" });
  const body = h("div", {});
  el.append(h("h1", { id: "object-title" }, `${kind} ${namespace ? `${namespace}/` : ""}${name}`), body);
  const api = `/api/objects/${encodeURIComponent(kind)}/${encodeURIComponent(namespace || "_")}/${encodeURIComponent(name)}`;
  return {
    title: `${kind} ${name}`,
    el,
    async refresh() {
      const o = await getJson<ObjectPage>(api);
      const s = o.status;
      replace(
        body,
        h(
          "dl",
          { class: "facts" },
          [
            ["Phase", phaseBadge(s.phase)],
            ["apiVersion", o.apiVersion],
            ["Backend", o.backend],
            ["Source", s.source ?? "—"],
            ["Observed commit", h("code", {}, s.observedCommit)],
            ["Plan digest", s.planDigest ? h("code", {}, s.planDigest) : "—"],
            ["Last error", s.lastError ?? "—"],
          ].map(([k, v]) => [h("dt", {}, k as string), h("dd", {}, v as Node | string)]),
        ),
        h("h2", {}, "Conditions"),
        (s.conditions ?? []).length === 0
          ? h("p", {}, "None.")
          : h(
              "table",
              {},
              h("caption", { class: "sr-only" }, "Conditions"),
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["Type", "Status", "Reason", "Message"].map((c) => h("th", { scope: "col" }, c)),
                ),
              ),
              h(
                "tbody",
                {},
                (s.conditions ?? []).map((c) =>
                  h(
                    "tr",
                    {},
                    h("th", { scope: "row" }, c.type),
                    h("td", {}, c.status),
                    h("td", {}, c.reason ?? ""),
                    h("td", {}, c.message ?? ""),
                  ),
                ),
              ),
            ),
        s.counts
          ? [
              h("h2", {}, "Counts"),
              h(
                "dl",
                { class: "facts" },
                Object.entries(s.counts).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
              ),
            ]
          : null,
        o.rollout ? [h("h2", {}, "Rollout"), rolloutSection(o.rollout, "h3")] : null,
        o.drift ? [h("h2", {}, "Drift"), h("p", {}, o.drift.reason), fieldList(o.drift.fields)] : null,
        h("h2", {}, "Events"),
        o.events.length === 0
          ? h("p", {}, "No events.")
          : h(
              "table",
              { "data-testid": "events" },
              h("caption", { class: "sr-only" }, "Events"),
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["Type", "Reason", "Message", "Count", "Last seen"].map((c) => h("th", { scope: "col" }, c)),
                ),
              ),
              h(
                "tbody",
                {},
                o.events.map((e) =>
                  h(
                    "tr",
                    {},
                    h("td", {}, e.type),
                    h("td", {}, e.reason),
                    h("td", {}, e.message),
                    h("td", {}, e.count),
                    h("td", {}, e.lastSeen),
                  ),
                ),
              ),
            ),
        h("h2", {}, "Recent changes"),
        o.changes.length === 0
          ? h("p", {}, "None since the engine started.")
          : h(
              "ul",
              {},
              o.changes.map((c) => h("li", {}, `${ago(c.at)}: ${c.action}: ${c.reason}`)),
            ),
        h("h2", {}, "Status file"),
        o.statusFile !== undefined
          ? h(
              "pre",
              { "data-testid": "status-file", tabindex: 0, "aria-label": "Status file from the status branch" },
              o.statusFile,
            )
          : h("p", {}, "Not on the status branch (yet)."),
      );
    },
  };
}
