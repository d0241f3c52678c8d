// Crew panels: one websocket to the hub, instruments, map and logbook.
// Values arrive in SI (m/s, rad, K, m); they are shown in the units crews read (kn, °, °C).

const base = document.body.dataset.baseUrl;
const KNOTS = 1.9438444924;
const DEG = 180 / Math.PI;

const state = { self: {}, vessels: {}, track: [], entries: [], connected: false, deltas: 0 };
window.isomerPanels = state; // for tests and curious crews

// ---- hub connection ------------------------------------------------------------------
let ws = null;
let nextId = 1;
let session = null;
let retry = 500;
const pending = new Map();

function call(component, action, data) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    ws.send(JSON.stringify({ component, action, data, id }));
  });
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${scheme}://${location.host}${base}isomer/ws`);
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.id !== undefined && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      msg.error ? reject(msg.error) : resolve(msg.data);
    } else if (msg.component === "hub" && msg.action === "hello") {
      hello(msg.data);
    } else if (msg.component === "live" && msg.action === "delta") {
      applyDelta(msg.data);
    } else if (msg.component === "objects") {
      objectPush(msg.action, msg.data);
    } else if (msg.component === "access") {
      loadAccessRequests();
    }
  };
  ws.onclose = () => {
    setConnected(false);
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 10000);
  };
}

async function hello(data) {
  retry = 500;
  if (!data.user) {
    location.href = `${base}login?next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  let resumed = false;
  if (session) {
    try { await call("hub", "resume", { session }); resumed = true; } catch (e) { /* expired */ }
  }
  session = data.session;
  if (!resumed) {
    await call("live", "subscribe", { paths: ["navigation.*", "environment.*"], policy: "instant" });
    await call("live", "subscribe", {
      paths: ["vessels.*.navigation.position", "vessels.*.name"], policy: "instant", minPeriod: 1000,
    });
    await call("objects", "subscribe", { schema: "logbookentry" });
  }
  setConnected(true);
  state.roles = data.roles;
  loadEntries();
  if (data.roles.includes("admin")) {
    document.getElementById("users-tab").hidden = false;
    if (!resumed) await call("objects", "subscribe", { schema: "user" });
    loadUsers();
    loadAccessRequests();
  }
}

function setConnected(on) {
  state.connected = on;
  const el = document.getElementById("connection");
  el.textContent = on ? "online" : "offline";
  el.className = on ? "online" : "offline";
}

// ---- live data -----------------------------------------------------------------------
function applyDelta(delta) {
  const own = delta.context === "vessels.self";
  const target = own ? state.self : (state.vessels[delta.context] ??= {});
  for (const update of delta.updates) {
    for (const { path, value } of update.values) {
      target[path] = value;
      if (own && path === "navigation.position") state.track.push([value.longitude, value.latitude]);
    }
  }
  state.deltas += 1;
  scheduleRender();
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; renderInstruments(); renderMap(); });
}

const fmt = (v, digits = 1) => (typeof v === "number" && isFinite(v) ? v.toFixed(digits) : "–");
const deg = (rad) => (typeof rad === "number" ? (rad * DEG + 360) % 360 : undefined);

function dm(value, pos, neg) {
  const a = Math.abs(value);
  const d = Math.floor(a);
  return `${d}° ${((a - d) * 60).toFixed(3)}′ ${value >= 0 ? pos : neg}`;
}

function renderInstruments() {
  const s = state.self;
  const set = (id, text) => { document.getElementById(id).textContent = text; };
  set("sog", fmt(s["navigation.speedOverGround"] * KNOTS));
  set("cog", fmt(deg(s["navigation.courseOverGroundTrue"]), 0));
  set("heading", fmt(deg(s["navigation.headingTrue"] ?? s["navigation.headingMagnetic"]), 0));
  set("depth", fmt(s["environment.depth.belowTransducer"]));
  const awa = s["environment.wind.angleApparent"];
  set("awa", typeof awa === "number" ? `${fmt(Math.abs(awa * DEG), 0)}° ${awa < 0 ? "P" : "S"}` : "–");
  set("aws", `${fmt(s["environment.wind.speedApparent"] * KNOTS)} kn`);
  set("temperature", fmt(s["environment.water.temperature"] - 273.15));
  const p = s["navigation.position"];
  if (p) {
    set("position", `${dm(p.latitude, "N", "S")}  ${dm(p.longitude, "E", "W")}`);
    set("fix", new Date().toISOString().slice(11, 19) + " UTC");
  }
}

// ---- map -----------------------------------------------------------------------------
let map = null;
function initMap() {
  const status = document.getElementById("map-status");
  try {
    map = new maplibregl.Map({
      container: "chart",
      style: {
        version: 8,
        sources: {},
        layers: [{ id: "sea", type: "background", paint: { "background-color": "#cfe3f2" } }],
      },
      center: [0, 0],
      zoom: 11,
      attributionControl: false,
    });
  } catch (error) {
    status.textContent = `The map needs WebGL: ${error.message}`;
    return;
  }
  state.map = map;
  map.on("load", async () => {
    const empty = { type: "FeatureCollection", features: [] };
    for (const layer of ["LNDARE", "DEPARE", "COALNE"]) {
      let data = empty;
      try {
        const reply = await fetch(`${base}isomer/api/data/chart/${layer}`);
        if (reply.ok) data = await reply.json();
      } catch (e) { /* no chart loaded */ }
      map.addSource(layer, { type: "geojson", data });
    }
    map.addLayer({ id: "depare", type: "fill", source: "DEPARE", paint: { "fill-color": "#b3d4ee" } });
    map.addLayer({ id: "land", type: "fill", source: "LNDARE", paint: { "fill-color": "#e6d8b0" } });
    map.addLayer({ id: "coast", type: "line", source: "COALNE", paint: { "line-color": "#5a4a2a" } });
    map.addSource("track", { type: "geojson", data: empty });
    map.addSource("ais", { type: "geojson", data: empty });
    map.addSource("self", { type: "geojson", data: empty });
    map.addLayer({ id: "track", type: "line", source: "track", paint: { "line-color": "#d0342c", "line-width": 2 } });
    map.addLayer({ id: "ais", type: "circle", source: "ais", paint: { "circle-radius": 5, "circle-color": "#2a6f2a" } });
    map.addLayer({ id: "self", type: "circle", source: "self", paint: { "circle-radius": 7, "circle-color": "#d0342c", "circle-stroke-width": 2, "circle-stroke-color": "#fff" } });
    state.mapReady = true;
    renderMap();
  });
}

let centred = false;
function renderMap() {
  if (!state.mapReady) return;
  const p = state.self["navigation.position"];
  if (p) {
    map.getSource("self").setData({ type: "Point", coordinates: [p.longitude, p.latitude] });
    if (!centred) { map.jumpTo({ center: [p.longitude, p.latitude] }); centred = true; }
  }
  if (state.track.length > 1) {
    map.getSource("track").setData({ type: "LineString", coordinates: state.track.slice(-5000) });
  }
  const features = Object.entries(state.vessels)
    .filter(([, v]) => v["navigation.position"])
    .map(([context, v]) => ({
      type: "Feature",
      properties: { context, name: v.name ?? "" },
      geometry: { type: "Point", coordinates: [v["navigation.position"].longitude, v["navigation.position"].latitude] },
    }));
  map.getSource("ais").setData({ type: "FeatureCollection", features });
}

// ---- logbook -------------------------------------------------------------------------
async function loadEntries() {
  const reply = await call("objects", "getlist", { schema: "logbookentry", sort: [["time", -1]], limit: 100 });
  state.entries = reply.items;
  renderEntries();
}

function objectPush(action, data) {
  if (data.schema === "logbookentry") loadEntries();
  if (data.schema === "user") loadUsers();
}

// ---- users (admins only: the object manager refuses everyone else) ---------------------
async function loadUsers() {
  const reply = await call("objects", "getlist", { schema: "user", sort: [["username", 1]], limit: 1000 });
  state.users = reply.items;
  const body = document.querySelector("#user-list tbody");
  body.replaceChildren(...reply.items.map((user) => {
    const row = document.createElement("tr");
    for (const text of [user.username, user.name ?? "", (user.roles ?? []).join(", ")]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    const cell = document.createElement("td");
    const remove = document.createElement("button");
    remove.textContent = "delete";
    remove.addEventListener("click", async () => {
      if (confirm(`Delete ${user.username} and revoke their tokens?`)) {
        await call("objects", "delete", { schema: "user", uuid: user.uuid });
      }
    });
    cell.append(remove);
    row.append(cell);
    return row;
  }));
}

async function loadAccessRequests() {
  const requests = await call("access", "list", {});
  const list = document.getElementById("access-requests");
  list.replaceChildren(...requests.map((request) => {
    const li = document.createElement("li");
    li.textContent = `${request.description || request.clientId} (${request.permissions}, from ${request.address}) `;
    for (const [label, action] of [["approve", "approve"], ["deny", "deny"]]) {
      const button = document.createElement("button");
      button.textContent = label;
      button.addEventListener("click", async () => {
        // Approve exactly what this line shows: the server refuses if the request differs.
        const data = action === "approve"
          ? { requestId: request.requestId, permissions: request.permissions }
          : { requestId: request.requestId };
        await call("access", action, data);
        loadAccessRequests();
        loadUsers();
      });
      li.append(button);
    }
    return li;
  }));
}

document.getElementById("new-user").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const errors = document.getElementById("user-errors");
  const user = {
    username: form.username.value.trim(),
    roles: [...form.querySelectorAll("input[name=roles]:checked")].map((box) => box.value),
    password: form.password.value,
  };
  if (form.name.value.trim()) user.name = form.name.value.trim();
  try {
    await call("objects", "put", { schema: "user", object: user });
    form.reset();
    errors.textContent = "";
  } catch (error) {
    errors.textContent = (error.details ?? []).map((d) => `${d.field}: ${d.message}`).join("; ") || error.message;
  }
});

function renderEntries() {
  const list = document.getElementById("entries");
  list.replaceChildren(...state.entries.map((entry) => {
    const li = document.createElement("li");
    const time = document.createElement("time");
    time.textContent = entry.time.replace("T", " ").slice(0, 16);
    li.append(time, `[${entry.category ?? "event"}] ${entry.text} — ${entry.author ?? ""}`);
    return li;
  }));
}

document.getElementById("entry").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const errors = document.getElementById("entry-errors");
  const entry = { time: new Date().toISOString(), category: form.category.value, text: form.text.value };
  const p = state.self["navigation.position"];
  if (p) entry.position = { latitude: p.latitude, longitude: p.longitude };
  try {
    await call("objects", "put", { schema: "logbookentry", object: entry });
    form.text.value = "";
    errors.textContent = "";
  } catch (error) {
    errors.textContent = (error.details ?? []).map((d) => `${d.field}: ${d.message}`).join("; ") || error.message;
  }
});

// ---- navigation between panels ---------------------------------------------------------
for (const button of document.querySelectorAll("nav button")) {
  button.addEventListener("click", () => {
    for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b === button);
    for (const p of document.querySelectorAll(".panel")) p.classList.toggle("active", p.id === button.dataset.panel);
    if (button.dataset.panel === "map") {
      if (!map) initMap(); else map.resize();
    }
  });
}

connect();
