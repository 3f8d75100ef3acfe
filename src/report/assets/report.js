/*
 * The scanwatch HTML report's page script. It reads the summary JSON embedded in the page and
 * draws everything from it. All text that came from logs (addresses, host names, user names in
 * sample lines, file names) goes into the document through textContent only: never innerHTML,
 * never an attribute that runs code. uPlot (inlined before this script) draws the charts.
 */
(function () {
  "use strict";

  const SEVERITIES = ["low", "medium", "high", "critical"];
  const SEV_COLOR = { low: "#0891b2", medium: "#d97706", high: "#dc2626", critical: "#7f1d1d" };
  const SERIES = {
    tcp: { label: "TCP", color: "#2563eb" },
    udp: { label: "UDP", color: "#0d9488" },
    icmp: { label: "ICMP", color: "#65a30d" },
    "ip-other": { label: "other IP", color: "#9333ea" },
    "ssh-failure": { label: "SSH failures", color: "#ea580c" },
    "ssh-other": { label: "other sshd", color: "#78716c" },
  };

  const data = JSON.parse(document.getElementById("scanwatch-summary").textContent);
  const run = data.run;
  const fmt = (n) => Number(n).toLocaleString("en-US");
  const sevRank = (s) => SEVERITIES.indexOf(s);
  const plural = (n, w) => `${fmt(n)} ${w}${n === 1 ? "" : "s"}`;
  const incidentsById = new Map(data.incidents.map((i) => [i.id, i]));
  const zone = validZone(run.timeZone) ? run.timeZone : "UTC";
  const charts = [];
  let timeline;
  /**
   * Rows drawn per table until "show all": a 1M-line archive can have thousands of incidents,
   * and laying out every row would make the report slow to open. Sorting and filtering still
   * look at every row.
   */
  const ROW_LIMIT = 200;
  /** The attacker shown in the detail view (its rows are highlighted when drawn). */
  let selected = null;

  /** Creates an element; strings among `children` become text nodes (never markup). */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k === "onclick") el.addEventListener("click", v);
      else if (k === "oninput") el.addEventListener("input", v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    return add(el, children);
  }

  /** Appends children as h() does: nested arrays flattened, null/false skipped, strings as text. */
  function add(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      el.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return el;
  }

  function fill(el, ...children) {
    el.replaceChildren();
    return add(el, children);
  }

  function validZone(z) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: z });
      return true;
    } catch {
      return false;
    }
  }

  /** "2026-11-28T16:04:14.000+00:00" → "2026-11-28 16:04:14" (the logs' own local time). */
  const when = (iso) => (iso ? iso.slice(0, 19).replace("T", " ") : "–");
  // In tables, a run within one day shows times only (the header gives the date).
  const oneDay =
    run.firstEvent && run.lastEvent && run.firstEvent.slice(0, 10) === run.lastEvent.slice(0, 10);
  const short = (iso) => (oneDay && iso ? iso.slice(11, 19) : when(iso));
  const sev = (s) => h("span", { class: `sev sev-${s}` }, s);
  const who = (x) => x.src ?? `${fmt(x.distinctSources)} sources`;

  function portList(ports, distinct, room) {
    const parts = [];
    for (let i = 0; i < ports.length;) {
      let j = i;
      while (j + 1 < ports.length && ports[j + 1] === ports[j] + 1) j++;
      parts.push(
        j - i >= 2 ? `${ports[i]}-${ports[j]}` : j === i ? `${ports[i]}` : `${ports[i]},${ports[j]}`,
      );
      i = j + 1;
    }
    let s = "";
    for (const p of parts) {
      const next = s ? `${s},${p}` : p;
      if (next.length > room) return `${s},…`;
      s = next;
    }
    return distinct > ports.length ? `${s},…` : s;
  }

  function targetsOf(i) {
    if (i.dst) return i.dst;
    if (i.targets && i.targets.length)
      return i.targets.slice(0, 3).join(", ") + (i.distinctHosts > 3 ? `, … (${fmt(i.distinctHosts)})` : "");
    return i.proto === "ssh" ? `${i.host} (sshd)` : i.host;
  }

  function kindOf(i) {
    return i.type + (i.technique ? `/${i.technique}` : "") + (i.slow ? " (slow)" : "");
  }

  // --- header and key figures ------------------------------------------------------------------

  function header() {
    const files = run.files.map((f) => f.file).join(", ");
    const span =
      run.firstEvent && run.lastEvent
        ? `${when(run.firstEvent)} → ${when(run.lastEvent)} (${run.timeZone})`
        : "no events";
    return h(
      "header",
      {},
      h("h1", {}, "scanwatch report"),
      h("p", { class: "sub" }, h("span", { class: "files", title: files }, files), " · ", span),
    );
  }

  function figures() {
    const fig = (label, value, note, cls) =>
      h(
        "div",
        { class: `fig ${cls || ""}` },
        h("div", { class: "v" }, value),
        h("div", { class: "l" }, label),
        note && h("div", { class: "n" }, note),
      );
    const top = data.attackers[0];
    return h(
      "section",
      { class: "figures", "aria-label": "key figures" },
      fig(
        "attackers",
        fmt(run.attackers),
        top ? `worst: ${who(top)}` : "none",
        top ? `hl-${top.severity}` : "",
      ),
      fig(
        "incidents",
        fmt(run.incidents),
        // Incidents by type (an incident alerts once per severity step: alerts would count it twice).
        Object.entries(data.incidents.reduce((m, i) => ((m[i.type] = (m[i.type] || 0) + 1), m), {}))
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(", ") || "no alerts",
      ),
      fig("events", fmt(run.events), `from ${fmt(run.lines)} lines`),
      fig("sources", (run.distinctSourcesExact ? "" : "≈") + fmt(run.distinctSources), "distinct addresses"),
      fig(
        "not recognized",
        fmt(run.notRecognized),
        Object.entries(run.notRecognizedByReason)
          .slice(0, 2)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(", ") || "every line read",
      ),
      fig("late events", fmt(run.late), `beyond ${run.disorderSeconds} s disorder`),
    );
  }

  function noAlerts() {
    return h(
      "section",
      { class: "panel empty", id: "no-alerts" },
      h("h2", {}, "No alerts"),
      h(
        "p",
        {},
        `scanwatch read ${plural(run.lines, "line")} (${plural(run.events, "event")}) and no rule raised an alert: ` +
          "nothing in these logs looked like a scan, a flood or a brute force.",
      ),
    );
  }

  // --- timeline --------------------------------------------------------------------------------

  function timelinePanel() {
    const box = h("div", { id: "timeline", class: "chart" });
    const log = h("input", { type: "checkbox", id: "log-scale" });
    const panel = h(
      "section",
      { class: "panel", id: "timeline-panel" },
      h(
        "div",
        { class: "panel-head" },
        h("h2", {}, "Timeline"),
        h(
          "span",
          { class: "hint" },
          `events per ${bucketName(data.timeline.bucketSeconds)}; ● incident start, by severity · drag to zoom, double-click to reset · `,
          h("label", {}, log, " log scale"),
        ),
      ),
      box,
    );
    if (!data.timeline.start) {
      box.append(h("p", { class: "none" }, "No events in these files."));
      return panel;
    }
    log.addEventListener("change", () => drawTimeline(box, log.checked));
    requestAnimationFrame(() => drawTimeline(box, false));
    return panel;
  }

  function bucketName(s) {
    if (s < 60) return s === 1 ? "second" : `${s} s`;
    if (s < 3600) return s === 60 ? "minute" : `${s / 60} min`;
    if (s < 86400) return s === 3600 ? "hour" : `${s / 3600} h`;
    return s === 86400 ? "day" : `${s / 86400} days`;
  }

  /** A y axis as wide as its longest label ("200,000" needs more room than "50"). */
  function axisSize(u, values, axisIdx, cycleNum) {
    const axis = u.axes[axisIdx];
    if (cycleNum > 1) return axis._size;
    const longest = (values || []).reduce((a, v) => (String(v).length > a.length ? String(v) : a), "");
    u.ctx.font = axis.font[0];
    return Math.ceil(axis.ticks.size + axis.gap + u.ctx.measureText(longest).width / devicePixelRatio + 4);
  }

  const pad2 = (n) => String(n).padStart(2, "0");
  /** A time in the report's zone: "16:04:14", "16:04", or "11-28 16:04" by the tick spacing. */
  function tick(ts, incr, withDate) {
    const d = uPlot.tzDate(new Date(ts * 1000), zone);
    const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
    const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
    if (incr >= 86400) return date;
    const time = incr < 60 ? `${hm}:${pad2(d.getSeconds())}` : hm;
    return withDate ? `${time}\n${date}` : time;
  }

  function drawTimeline(box, logScale) {
    const t = data.timeline;
    const step = t.bucketSeconds;
    const t0 = Date.parse(t.start) / 1000;
    const n = t.counts.length ? t.counts[0].length : 0;
    const xs = Array.from({ length: n }, (_, k) => t0 + k * step);
    const series = [
      {
        label: "time",
        value: (u, ts) => (ts == null ? "–" : tick(ts, 1, false) + (oneDay ? "" : " " + tick(ts, 86400))),
      },
    ];
    const cols = [xs];
    t.series.forEach((name, s) => {
      const counts = t.counts[s];
      if (!counts.some((v) => v > 0)) return;
      const meta = SERIES[name] || { label: name, color: "#444" };
      series.push({
        label: meta.label,
        stroke: meta.color,
        width: 1.5,
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: false },
        value: (u, v) => (v == null ? "–" : fmt(v)),
      });
      cols.push(logScale ? counts.map((v) => (v > 0 ? v : null)) : counts);
    });
    // Incidents as points on their own scale: how many started in each bucket, per severity.
    for (const s of SEVERITIES) {
      const starts = new Array(n).fill(null);
      for (const i of data.incidents) {
        if (i.severity !== s) continue;
        const k = Math.min(n - 1, Math.max(0, Math.floor((Date.parse(i.firstSeen) / 1000 - t0) / step)));
        starts[k] = (starts[k] || 0) + 1;
      }
      if (!starts.some((v) => v)) continue;
      series.push({
        label: `${s} incidents`,
        scale: "incidents",
        stroke: SEV_COLOR[s],
        fill: SEV_COLOR[s],
        paths: () => null,
        points: { show: true, size: 10, width: 1, stroke: "#fff", fill: SEV_COLOR[s] },
        value: (u, v) => (v == null ? "–" : fmt(v)),
      });
      cols.push(starts);
    }
    if (timeline) {
      timeline.destroy();
      charts.splice(charts.indexOf(timeline), 1);
    }
    box.replaceChildren();
    timeline = new uPlot(
      {
        width: Math.max(320, box.clientWidth),
        height: 280,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), zone),
        series,
        scales: {
          x: { time: true },
          y: logScale ? { distr: 3 } : { range: (u, min, max) => [0, Math.max(1, max * 1.05)] },
          incidents: { range: (u, min, max) => [0, Math.max(1, max) * 1.25] },
        },
        axes: [
          {
            stroke: "#555",
            grid: { stroke: "#eee" },
            size: 50,
            space: 80,
            // 24-hour clock; the date under the first tick and wherever the day changes.
            values: (u, splits, ax, space, incr) =>
              splits.map((ts, k) =>
                tick(ts, incr, k === 0 || tick(ts, 86400) !== tick(splits[k - 1], 86400)),
              ),
          },
          {
            stroke: "#555",
            grid: { stroke: "#eee" },
            size: axisSize,
            values: (u, vals) => vals.map((v) => (v == null ? "" : fmt(v))),
          },
          {
            scale: "incidents",
            side: 1,
            stroke: "#999",
            grid: { show: false },
            size: 40,
            label: "incidents",
            values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? v : "")),
          },
        ],
        cursor: { drag: { x: true, y: false } },
        legend: { live: true },
      },
      cols,
      box,
    );
    charts.push(timeline);
  }

  /** Shades the attacker's active span on the timeline (uPlot's own selection box). */
  function markOnTimeline(a) {
    if (!timeline) return;
    const from = Date.parse(a.firstSeen) / 1000;
    const to = Date.parse(a.lastSeen) / 1000 + data.timeline.bucketSeconds;
    const left = Math.max(0, timeline.valToPos(from, "x"));
    const right = Math.min(timeline.bbox.width / devicePixelRatio, timeline.valToPos(to, "x"));
    timeline.setSelect(
      { left, width: Math.max(2, right - left), top: 0, height: timeline.bbox.height / devicePixelRatio },
      false,
    );
  }

  // --- attackers and incidents -----------------------------------------------------------------

  function attackersPanel() {
    const row = (a, idx) =>
      h(
        "tr",
        {
          class: `clickable${selected === a ? " selected" : ""}`,
          dataset: { attacker: String(idx) },
          onclick: () => showAttacker(a),
        },
        h("td", {}, sev(a.severity)),
        h("td", {}, h("button", { class: "attacker", type: "button", dataset: { src: who(a) } }, who(a))),
        h(
          "td",
          { class: "kind" },
          a.types.join(", ") + (a.techniques.length ? ` (${a.techniques.join(", ")})` : ""),
        ),
        h("td", { class: "num" }, fmt(a.alerts)),
        h("td", { class: "num" }, fmt(a.events)),
        h(
          "td",
          { class: "ports" },
          a.distinctPorts ? `${fmt(a.distinctPorts)}: ${portList(a.ports, a.distinctPorts, 14)}` : "–",
        ),
        h("td", { class: "time" }, `${short(a.firstSeen)} → ${short(a.lastSeen)}`),
      );
    const tbody = h("tbody");
    const draw = (limit) =>
      fill(
        tbody,
        data.attackers.length
          ? data.attackers.slice(0, limit).map(row)
          : h("tr", {}, h("td", { colspan: 7, class: "none" }, "No attackers: no alert was raised.")),
        data.attackers.length > limit &&
          moreRow(7, `${fmt(limit)} of ${plural(data.attackers.length, "attacker")} shown.`, () =>
            draw(Infinity),
          ),
      );
    draw(ROW_LIMIT);
    return h(
      "section",
      { class: "panel", id: "attackers-panel" },
      h(
        "div",
        { class: "panel-head" },
        h("h2", {}, "Attackers"),
        h(
          "span",
          { class: "hint" },
          "most dangerous first: severity, then alerts, then events · click for the evidence",
        ),
      ),
      h(
        "div",
        { class: "scroll" },
        h(
          "table",
          { id: "attackers" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["severity", "attacker", "what", "alerts", "events", "ports", "seen"].map((c) =>
                h("th", { class: c === "alerts" || c === "events" ? "num" : null }, c),
              ),
            ),
          ),
          tbody,
        ),
      ),
    );
  }

  /** The last row of a cut table: how many are shown, and a button that shows them all. */
  function moreRow(colspan, text, showAll) {
    return h(
      "tr",
      { class: "more" },
      h(
        "td",
        { colspan },
        text,
        " ",
        h("button", { type: "button", class: "show-all", onclick: showAll }, "show all"),
      ),
    );
  }

  const COLUMNS = [
    { key: "severity", label: "severity", sort: (i) => sevRank(i.severity), cell: (i) => sev(i.severity) },
    { key: "type", label: "type", sort: kindOf, cell: kindOf, cls: "kind" },
    {
      key: "src",
      label: "source",
      sort: who,
      cell: (i) => h("button", { class: "attacker", type: "button", dataset: { src: who(i) } }, who(i)),
    },
    { key: "targets", label: "targets", sort: targetsOf, cell: targetsOf },
    {
      key: "ports",
      label: "ports",
      sort: (i) => i.distinctPorts,
      cell: (i) =>
        i.distinctPorts ? `${fmt(i.distinctPorts)}: ${portList(i.ports, i.distinctPorts, 14)}` : "–",
      cls: "ports",
    },
    { key: "events", label: "events", sort: (i) => i.events, cell: (i) => fmt(i.events), cls: "num" },
    {
      key: "first",
      label: "first seen",
      sort: (i) => Date.parse(i.firstSeen),
      cell: (i) => short(i.firstSeen),
      cls: "time",
    },
    {
      key: "last",
      label: "last seen",
      sort: (i) => Date.parse(i.lastSeen),
      cell: (i) => short(i.lastSeen),
      cls: "time",
    },
  ];

  function incidentsPanel() {
    const state = { key: "first", dir: 1, text: "", minSev: 0, type: "", limit: ROW_LIMIT };
    const rowOf = (r) =>
      (r.tr ??= h(
        "tr",
        {
          class: `clickable${selected && selected.incidents.includes(r.i.id) ? " selected" : ""}`,
          dataset: { incident: r.i.id },
          onclick: () => showAttackerOf(r.i),
        },
        COLUMNS.map((c) => h("td", { class: c.cls }, c.cell(r.i))),
      ));
    const rows = data.incidents.map((i) => {
      const haystack = [
        kindOf(i),
        who(i),
        targetsOf(i),
        i.ports.join(" "),
        i.severity,
        i.rule,
        ...(i.sources || []),
      ]
        .join(" ")
        .toLowerCase();
      return { i, tr: null, haystack };
    });
    const tbody = h("tbody");
    const count = h("span", { class: "count" });
    const heads = COLUMNS.map((c) =>
      h(
        "th",
        {
          class: "sortable",
          dataset: { key: c.key },
          onclick: () => {
            state.dir =
              state.key === c.key
                ? -state.dir
                : c.key === "severity" || c.key === "events" || c.key === "ports"
                  ? -1
                  : 1;
            state.key = c.key;
            update();
          },
        },
        c.label,
      ),
    );
    const types = [...new Set(data.incidents.map((i) => i.type))].sort();
    const typeSel = h(
      "select",
      { id: "type-filter", "aria-label": "type" },
      h("option", { value: "" }, "all types"),
      types.map((t) => h("option", { value: t }, t)),
    );
    const sevSel = h(
      "select",
      { id: "severity-filter", "aria-label": "minimum severity" },
      SEVERITIES.map((s, k) =>
        h("option", { value: String(k) }, k === 0 ? "any severity" : `${s} and above`),
      ),
    );
    const search = h("input", {
      type: "search",
      id: "incident-filter",
      placeholder: "filter: address, type, port…",
      "aria-label": "filter incidents",
    });
    search.addEventListener("input", () => ((state.text = search.value.trim().toLowerCase()), update()));
    typeSel.addEventListener("change", () => ((state.type = typeSel.value), update()));
    sevSel.addEventListener("change", () => ((state.minSev = Number(sevSel.value)), update()));

    function update() {
      const col = COLUMNS.find((c) => c.key === state.key);
      const shown = rows
        .filter(
          (r) =>
            sevRank(r.i.severity) >= state.minSev &&
            (!state.type || r.i.type === state.type) &&
            (!state.text || state.text.split(/\s+/).every((w) => r.haystack.includes(w))),
        )
        .sort((a, b) => {
          const x = col.sort(a.i);
          const y = col.sort(b.i);
          return (x < y ? -1 : x > y ? 1 : Date.parse(a.i.firstSeen) - Date.parse(b.i.firstSeen)) * state.dir;
        });
      fill(
        tbody,
        shown.length
          ? shown.slice(0, state.limit).map(rowOf)
          : h(
              "tr",
              {},
              h(
                "td",
                { colspan: COLUMNS.length, class: "none" },
                data.incidents.length ? "No incident matches the filter." : "No incidents.",
              ),
            ),
        shown.length > state.limit &&
          moreRow(COLUMNS.length, `${fmt(state.limit)} of ${fmt(shown.length)} shown.`, () => {
            state.limit = Infinity;
            update();
          }),
      );
      for (const th of heads)
        th.dataset.sorted = th.dataset.key === state.key ? (state.dir > 0 ? "asc" : "desc") : "";
      count.textContent =
        `${fmt(shown.length)} of ${plural(data.incidents.length, "incident")}` +
        (data.incidentsOmitted ? ` (${fmt(data.incidentsOmitted)} less severe not listed)` : "");
    }
    update();
    return h(
      "section",
      { class: "panel", id: "incidents-panel" },
      h("div", { class: "panel-head" }, h("h2", {}, "Incidents"), count),
      h("div", { class: "filters" }, search, sevSel, typeSel),
      h(
        "div",
        { class: "scroll" },
        h("table", { id: "incidents" }, h("thead", {}, h("tr", {}, heads)), tbody),
      ),
    );
  }

  // --- detail view -----------------------------------------------------------------------------

  function detailPanel() {
    return h(
      "section",
      { class: "panel", id: "detail", "aria-live": "polite" },
      h("h2", {}, "Attacker"),
      h(
        "p",
        { class: "none" },
        data.attackers.length
          ? "Click an attacker or an incident to see what it did and the log lines that show it."
          : "No attackers.",
      ),
    );
  }

  function showAttackerOf(i) {
    const a = data.attackers.find((x) => x.incidents.includes(i.id));
    if (a) showAttacker(a, i.id);
  }

  function showAttacker(a, focusId) {
    const panel = document.getElementById("detail");
    const listed = a.incidents.map((id) => incidentsById.get(id)).filter(Boolean);
    const dl = h(
      "dl",
      {},
      h("dt", {}, "did"),
      h("dd", {}, a.types.join(", ") + (a.techniques.length ? ` (${a.techniques.join(", ")})` : "")),
      h("dt", {}, "seen"),
      h("dd", {}, `${when(a.firstSeen)} → ${when(a.lastSeen)}`),
      h("dt", {}, "activity"),
      h(
        "dd",
        {},
        `${plural(a.events, "event")}, ${plural(a.alerts, "alert")} in ${plural(a.incidents.length, "incident")}`,
      ),
      h("dt", {}, "protocols"),
      h("dd", {}, a.protos.join(", ") || "–"),
      h("dt", {}, "ports"),
      h(
        "dd",
        { class: "ports" },
        a.distinctPorts ? `${fmt(a.distinctPorts)}: ${portList(a.ports, a.distinctPorts, 400)}` : "–",
      ),
      h("dt", {}, "hosts"),
      h(
        "dd",
        {},
        a.hosts.join(", ") + (a.distinctHosts > a.hosts.length ? ` … (${fmt(a.distinctHosts)})` : ""),
      ),
      a.src === null && a.sources && a.sources.length
        ? [
            h("dt", {}, "sources"),
            h(
              "dd",
              {},
              a.sources.slice(0, 20).join(", ") +
                (a.distinctSources > 20 ? ` … (${fmt(a.distinctSources)})` : ""),
            ),
          ]
        : null,
    );
    fill(
      panel,
      h("h2", {}, h("span", { class: "who" }, who(a)), " ", sev(a.severity)),
      dl,
      listed.map((i) => incidentDetail(i, i.id === focusId)),
      listed.length < a.incidents.length
        ? h(
            "p",
            { class: "none" },
            `${plural(a.incidents.length - listed.length, "more incident")} not listed (less severe).`,
          )
        : null,
    );
    selected = a;
    for (const tr of document.querySelectorAll("tr.selected")) tr.classList.remove("selected");
    for (const id of a.incidents)
      document.querySelector(`tr[data-incident="${CSS.escape(id)}"]`)?.classList.add("selected");
    document.querySelector(`tr[data-attacker="${data.attackers.indexOf(a)}"]`)?.classList.add("selected");
    markOnTimeline(a);
    if (panel.getBoundingClientRect().top > innerHeight || panel.getBoundingClientRect().bottom < 0)
      panel.scrollIntoView({ block: "start" });
  }

  function incidentDetail(i, focused) {
    const facts = [
      `${when(i.firstSeen)} → ${when(i.lastSeen)}`,
      plural(i.events, "event") + (i.lowerBound ? " at least (the kernel suppressed log lines)" : ""),
      i.distinctPorts ? plural(i.distinctPorts, "port") : null,
      i.distinctSources > 1 ? `${i.estimate ? "≈" : ""}${plural(i.distinctSources, "source")}` : null,
      `window ${i.window} s`,
      i.confidence !== undefined ? `confidence ${i.confidence}` : null,
      i.alerts > 1 ? `${plural(i.alerts, "alert")} (new + updates)` : null,
    ].filter(Boolean);
    return h(
      "article",
      { class: `incident${focused ? " focused" : ""}`, dataset: { incident: i.id } },
      h(
        "h3",
        {},
        sev(i.severity),
        " ",
        kindOf(i),
        " ",
        h("span", { class: "muted" }, `→ ${targetsOf(i)} · rule ${i.rule} · ${i.id.slice(0, 8)}`),
      ),
      h("p", { class: "facts" }, facts.join(" · ")),
      h("h4", {}, "Evidence"),
      h(
        "ul",
        { class: "evidence" },
        i.evidence.map((e) => h("li", {}, e)),
      ),
      h("h4", {}, "Log lines"),
      i.samples.length
        ? h(
            "ol",
            { class: "samples" },
            i.samples.map((s) =>
              h(
                "li",
                {},
                h("span", { class: "ref" }, `${s.file}:${s.line}`),
                s.text !== undefined
                  ? h("code", {}, s.text)
                  : h("span", { class: "muted" }, " (not read again: stdin)"),
              ),
            ),
          )
        : h("p", { class: "none" }, "No sample lines."),
    );
  }

  // --- top ports and sources -------------------------------------------------------------------

  function barPanel(id, title, note, xLabel, labels, values, color) {
    const box = h("div", { id, class: "chart" });
    const panel = h(
      "section",
      { class: "panel" },
      h("div", { class: "panel-head" }, h("h2", {}, title), h("span", { class: "hint" }, note)),
      box,
    );
    if (!labels.length) {
      box.append(h("p", { class: "none" }, "None."));
      return panel;
    }
    requestAnimationFrame(() => {
      const idx = labels.map((_, k) => k);
      const u = new uPlot(
        {
          width: Math.max(280, box.clientWidth),
          height: 260,
          // Room on the right for the last rotated label.
          padding: [12, 36, 0, 0],
          series: [
            { label: xLabel, value: (u, v) => (v == null ? "–" : (labels[v] ?? "")) },
            {
              label: "events",
              stroke: color,
              fill: color + "cc",
              width: 0,
              paths: uPlot.paths.bars({ size: [0.7, 48] }),
              points: { show: false },
              value: (u, v) => (v == null ? "–" : fmt(v)),
            },
          ],
          scales: {
            x: { time: false, range: () => [-0.5, labels.length - 0.5] },
            y: { range: (u, min, max) => [0, Math.max(1, max * 1.08)] },
          },
          axes: [
            {
              splits: () => idx,
              values: (u, splits) => splits.map((k) => labels[k] ?? ""),
              rotate: -40,
              size: 96,
              gap: 4,
              grid: { show: false },
              stroke: "#555",
            },
            {
              size: axisSize,
              stroke: "#555",
              grid: { stroke: "#eee" },
              values: (u, vals) => vals.map((v) => fmt(v)),
            },
          ],
          cursor: { drag: { x: false, y: false }, points: { show: false } },
          legend: { live: true },
        },
        [idx, values],
        box,
      );
      charts.push(u);
    });
    return panel;
  }

  // --- run -------------------------------------------------------------------------------------

  function runPanel() {
    const counts = (o) =>
      Object.entries(o)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(", ") || "none";
    const row = (k, v) => [h("dt", {}, k), h("dd", {}, v)];
    return h(
      "section",
      { class: "panel", id: "run" },
      h("h2", {}, "Run"),
      h(
        "table",
        { class: "files" },
        h("thead", {}, h("tr", {}, h("th", {}, "file"), h("th", {}, "bytes"), h("th", {}, "events"))),
        h(
          "tbody",
          {},
          run.files.map((f) =>
            h(
              "tr",
              {},
              h("td", {}, f.file),
              h("td", { class: "num" }, fmt(f.bytes)),
              h("td", { class: "num" }, fmt(f.events)),
            ),
          ),
        ),
      ),
      h(
        "dl",
        {},
        row("lines read", fmt(run.lines)),
        row("events", `${fmt(run.events)}: ${counts(run.eventsByType)}`),
        row(
          "not recognized",
          `${fmt(run.notRecognized)}${run.notRecognized ? `: ${counts(run.notRecognizedByReason)}` : ""}`,
        ),
        row(
          "duplicates dropped",
          run.duplicates === null ? "not looked for by this run" : fmt(run.duplicates),
        ),
        row("late events", `${fmt(run.late)} (more than ${run.disorderSeconds} s behind the newest; kept)`),
        row("time went backwards", `${fmt(run.backwards)} lines (kept)`),
        row("lines over 64 KiB", `${fmt(run.tooLong)} (skipped)`),
        run.readErrors ? row("read errors", fmt(run.readErrors)) : null,
        run.allowed !== undefined ? row("allowed sources", `${fmt(run.allowed)} events, not examined`) : null,
        run.outsideTimeRange !== undefined
          ? row("outside --since/--until", `${fmt(run.outsideTimeRange)} events, not examined`)
          : null,
        run.alreadyAlerted
          ? row("already alerted", `${fmt(run.alreadyAlerted)} verdicts the shared store had alerted before`)
          : null,
        run.interrupted
          ? row("interrupted", "stopped before the end of its input: this covers only what was read")
          : null,
        row("header formats", counts(run.headerFormats)),
        row("alerts", `${fmt(run.alerts)}${run.alerts ? `: ${counts(run.alertsByType)}` : ""}`),
        row("time zone", run.timeZone),
        row("store", `${run.store}, ${run.seconds} s`),
      ),
    );
  }

  function footer() {
    return h(
      "footer",
      {},
      `Written by ${data.generator} at ${data.generatedAt}. The data is the JSON in the element #scanwatch-summary, the same as `,
      h("code", {}, "scanwatch analyze --summary json"),
      " prints (schema: summary.schema.json). Nothing in this page is fetched from the network.",
    );
  }

  // --- assembly --------------------------------------------------------------------------------

  try {
    const app = document.getElementById("app");
    const ports = data.topPorts.slice(0, 15);
    const sources = data.topSources.slice(0, 15);
    fill(
      app,
      header(),
      figures(),
      data.incidents.length || data.attackers.length ? null : noAlerts(),
      timelinePanel(),
      h(
        "div",
        { class: "columns" },
        h("div", { class: "main" }, attackersPanel(), incidentsPanel()),
        h("aside", {}, detailPanel()),
      ),
      h(
        "div",
        { class: "pair" },
        barPanel(
          "top-ports",
          "Top targeted ports",
          "packets per destination port",
          "port",
          ports.map((p) => `${p.port}/${p.proto}`),
          ports.map((p) => p.events),
          "#2563eb",
        ),
        barPanel(
          "top-sources",
          "Top sources",
          data.topSourcesExact
            ? "events per source address"
            : "events per source (lower bounds: rare sources were forgotten)",
          "source",
          sources.map((s) => s.src),
          sources.map((s) => s.events),
          "#dc2626",
        ),
      ),
      runPanel(),
      footer(),
    );
    let pending;
    addEventListener("resize", () => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        for (const u of charts)
          u.setSize({ width: Math.max(280, u.root.parentElement.clientWidth), height: u.height });
      }, 100);
    });
    // Ready once the charts (drawn in the next frame) have painted: tests and the bench wait for it.
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        document.documentElement.dataset.openMs = String(Math.round(performance.now()));
        document.documentElement.dataset.ready = "true";
      }),
    );
  } catch (e) {
    document.documentElement.dataset.error = String(e && e.message);
    document.body.prepend(h("p", { class: "error" }, `This report could not be drawn: ${e && e.message}`));
    throw e;
  }
})();
