// AIS targets panel: the list from `ais/targets`, most dangerous first, danger highlighted.

const NM = 1852;
const KNOT = NM / 3600;
const REFRESH_MS = 2000;

const MARKUP = `
  <div class="ais-targets">
    <p><strong id="ais-summary">no targets</strong> · <span id="ais-limits"></span></p>
    <p id="ais-message" role="alert"></p>
    <table id="ais-table">
      <thead><tr>
        <th>name</th><th>type</th><th>distance</th><th>bearing</th>
        <th>CPA</th><th>TCPA</th><th>SOG</th><th>status</th>
      </tr></thead>
      <tbody id="ais-rows"></tbody>
    </table>
  </div>`;

const nm = (m) => (m == null ? "–" : `${(m / NM).toFixed(m < 10 * NM ? 2 : 1)} NM`);
const degrees = (d) => (d == null ? "–" : `${String(Math.round(d) % 360).padStart(3, "0")}°`);
const knots = (v) => (v == null ? "–" : `${(v / KNOT).toFixed(1)} kn`);

function duration(s) {
  if (s == null) return "–";
  if (s < 0) return "past";
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

export function mount(element, api) {
  element.innerHTML = MARKUP; // static markup: values go in with textContent only
  const $ = (id) => element.querySelector(`#${id}`);
  const view = { targets: [], total: 0, refreshed: 0 };
  api.state.aisTargets = view; // for tests and curious crews

  function render(reply) {
    view.targets = reply.targets;
    view.total = reply.total;
    view.refreshed += 1;
    const raised = reply.targets.filter((t) => t.state !== "normal").length;
    $("ais-summary").textContent = reply.own
      ? `${reply.total} target${reply.total === 1 ? "" : "s"}${raised ? `, ${raised} inside the limits` : ""}`
      : "no own position yet";
    $("ais-limits").textContent =
      `CPA ${nm(reply.limits.cpa)} within ${duration(reply.limits.tcpa)}`;
    const rows = reply.targets.map((t) => {
      const tr = document.createElement("tr");
      tr.dataset.mmsi = t.mmsi;
      tr.className = `ais-${t.status}` + (t.state !== "normal" ? ` danger danger-${t.state}` : "");
      const cells = [
        t.name ?? `MMSI ${t.mmsi}`,
        t.shipType ?? "",
        nm(t.distance),
        degrees(t.bearing),
        nm(t.cpa),
        duration(t.tcpa),
        knots(t.sog),
        t.status,
      ];
      for (const text of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    });
    $("ais-rows").replaceChildren(...rows);
    element.classList.toggle("alarm", reply.targets.some((t) => t.state === "alarm"));
  }

  let busy = false;
  async function refresh() {
    if (busy || !api.state.connected) return;
    busy = true;
    try {
      render(await api.hub.call("ais", "targets", {}));
    } catch (error) {
      $("ais-message").textContent = error.message ?? String(error);
    } finally {
      busy = false;
    }
  }

  api.hub.on("live", (action, delta) => {
    if (action !== "delta" || delta.context !== "vessels.self") return;
    for (const update of delta.updates) {
      for (const { path, value } of update.values) {
        if (path.startsWith("notifications.navigation.closestApproach.") && value) {
          $("ais-message").textContent = value.message ?? "";
          refresh();
        }
      }
    }
  });

  api.hub.onConnect(async ({ resumed }) => {
    if (!resumed) {
      await api.hub.call("live", "subscribe", {
        paths: ["notifications.navigation.closestApproach.*"],
        policy: "instant",
      });
    }
    await refresh();
  });
  setInterval(refresh, REFRESH_MS);
  element.addEventListener("isomer:show", refresh);

  const style = document.createElement("style");
  style.textContent = `
    #ais-table { border-collapse: collapse; }
    #ais-table th, #ais-table td { padding: 0.2em 0.6em; text-align: right; }
    #ais-table td:first-child, #ais-table td:nth-child(2) { text-align: left; }
    #ais-table tr.danger-warn { background: #8a6d00; }
    #ais-table tr.danger-alarm { background: #8b1a1a; font-weight: bold; }
    #ais-table tr.ais-stale, #ais-table tr.ais-ignored { opacity: 0.5; }
    #ais.alarm #ais-message { animation: ais-flash 0.6s step-end infinite; }
    @keyframes ais-flash { 50% { background: #8b1a1a; } }`;
  element.append(style);
}
