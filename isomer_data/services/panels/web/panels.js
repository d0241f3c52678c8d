// The panels shell: one websocket to the hub, and each module's panel loaded with a dynamic
// import() from the manifest the server lists for this user's roles. The shell knows no
// panel by name: the crew panels are modules like any installed one (docs/modules.md).

const base = document.body.dataset.baseUrl;

// Shared with panels (api.state) and exposed for tests and curious crews. ``times`` holds
// each own-ship path's source timestamp (ms), so panels show a fix's age, not the clock.
const state = {
  self: {}, times: {}, vessels: {}, vesselTimes: {}, connected: false, deltas: 0, panels: {},
  failed: {}, alarms: [],
};
window.isomerPanels = state;

// ---- night mode: red on black, one tap, remembered on this device ------------------------
const NIGHT_KEY = "isomer.night";
function setNight(on) {
  document.documentElement.classList.toggle("night", on);
  document.getElementById("night").setAttribute("aria-pressed", String(on));
  try { localStorage.setItem(NIGHT_KEY, on ? "on" : "off"); } catch (e) { /* private mode */ }
  state.night = on;
}
setNight((() => { try { return localStorage.getItem(NIGHT_KEY) === "on"; } catch (e) { return false; } })());
document.getElementById("night").addEventListener("click", () => setNight(!state.night));

// ---- logout: ends the login on the server (session and Signal K cookie), then the login page
document.getElementById("logout").addEventListener("click", async () => {
  try {
    await fetch(`${base}isomer/api/logout`, { method: "POST", credentials: "same-origin" });
  } finally {
    location.href = `${base}login?next=${encodeURIComponent(location.pathname)}`;
  }
});

// ---- hub connection ------------------------------------------------------------------
let ws = null;
let nextId = 1;
let session = null;
let retry = 500;
let mounted = null; // a promise: the panels are imported and mounted once per page
const pending = new Map();
const listeners = new Map(); // component -> Set of functions(action, data, message)
const connectHooks = new Set();

function call(component, action, data) {
  return new Promise((resolve, reject) => {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      reject({ code: "offline", message: "not connected to the hub" });
      return;
    }
    const id = nextId++;
    pending.set(id, { resolve, reject });
    ws.send(JSON.stringify({ component, action, data, id }));
  });
}

function on(component, fn) {
  if (!listeners.has(component)) listeners.set(component, new Set());
  listeners.get(component).add(fn);
  return () => listeners.get(component).delete(fn);
}

function onConnect(fn) {
  connectHooks.add(fn);
  if (state.connected) Promise.resolve(fn({ resumed: false })).catch(console.error);
  return () => connectHooks.delete(fn);
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
      return;
    }
    if (msg.component === "hub" && msg.action === "hello") {
      hello(msg.data);
      return;
    }
    if (msg.component === "live" && msg.action === "delta") applyDelta(msg.data);
    for (const fn of listeners.get(msg.component) ?? []) {
      try { fn(msg.action, msg.data, msg); } catch (error) { console.error(error); }
    }
  };
  ws.onclose = () => {
    for (const { reject } of pending.values()) reject({ code: "offline", message: "connection lost" });
    pending.clear();
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
  state.user = { name: data.user, roles: data.roles };
  state.roles = data.roles;
  mounted ??= mountPanels();
  await mounted;
  // Each panel (re)subscribes what it needs; after a resume the server kept it all.
  await Promise.all([...connectHooks].map((fn) =>
    Promise.resolve(fn({ resumed })).catch((error) => console.error(error))));
  setConnected(true);
}

function setConnected(on) {
  state.connected = on;
  const el = document.getElementById("connection");
  el.textContent = on ? "online" : "offline";
  el.className = on ? "online" : "offline";
}

// Live values for every panel: the latest value per path, own ship and others, with the
// time each was measured (the delta's timestamp, in ms since the epoch).
function applyDelta(delta) {
  const own = delta.context === "vessels.self";
  const target = own ? state.self : (state.vessels[delta.context] ??= {});
  const times = own ? state.times : (state.vesselTimes[delta.context] ??= {});
  let notifications = false;
  for (const update of delta.updates) {
    const t = Date.parse(update.timestamp);
    for (const { path, value } of update.values) {
      target[path] = value;
      if (!Number.isNaN(t)) times[path] = t;
      if (own && path.startsWith("notifications.")) notifications = true;
    }
  }
  state.deltas += 1;
  if (notifications) renderAlarms();
}

// ---- the alarm banner: every own-ship notification not in state normal, worst first ----
const SEVERITY = { emergency: 4, alarm: 3, warn: 2, alert: 1 };
let beeper = null;
function renderAlarms() {
  const active = Object.entries(state.self)
    .filter(([path, v]) => path.startsWith("notifications.") && v && SEVERITY[v.state])
    .map(([path, v]) => ({ path, state: v.state, message: String(v.message ?? ""), method: v.method ?? [] }))
    .sort((a, b) => SEVERITY[b.state] - SEVERITY[a.state]);
  state.alarms = active;
  const banner = document.getElementById("alarms");
  banner.replaceChildren(...active.map((n) => {
    const row = document.createElement("div");
    row.className = `notification ${n.state}`;
    row.dataset.path = n.path;
    const level = document.createElement("strong");
    level.textContent = n.state;
    const text = document.createElement("span");
    text.textContent = n.message || n.path.slice("notifications.".length);
    row.append(level, text);
    return row;
  }));
  banner.hidden = active.length === 0;
  const loud = active.some((n) => SEVERITY[n.state] >= 3 && (!n.method.length || n.method.includes("sound")));
  if (loud && !beeper) beeper = setInterval(beep, 2000);
  if (!loud && beeper) { clearInterval(beeper); beeper = null; }
}
let audio = null;
function beep() {
  try {
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    osc.frequency.value = 880;
    osc.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.25);
  } catch (e) { /* no audio before the first tap: the banner still flashes */ }
}
// The shell's own subscription: notifications for the banner, whichever panel is shown.
connectHooks.add(async ({ resumed }) => {
  if (!resumed) await call("live", "subscribe", { paths: ["notifications.*"], policy: "instant" });
});

// ---- panels from the manifest ----------------------------------------------------------
async function manifest() {
  // 503 while the platform's modules are still starting: ask again (bounded)
  for (let attempt = 0; attempt < 60; attempt++) {
    const reply = await fetch(`${base}isomer/api/modules/panels`, { credentials: "same-origin" });
    if (reply.ok) return (await reply.json()).panels;
    if (reply.status !== 503) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return [];
}

async function mountPanels() {
  const panels = await manifest();
  const nav = document.getElementById("panel-tabs");
  const main = document.getElementById("panels");
  for (const manifest of panels) {
    if (manifest.kind === "webapp") {
      nav.append(webappLink(manifest));
      continue;
    }
    const button = document.createElement("button");
    button.dataset.panel = manifest.id;
    button.id = `${manifest.id}-tab`;
    button.textContent = manifest.title;
    button.title = manifest.title;
    const section = document.createElement("section");
    section.id = manifest.id;
    section.className = "panel";
    section.dataset.module = manifest.module;
    nav.append(button);
    main.append(section);
    button.addEventListener("click", () => show(manifest.id));
    const api = {
      hub: { call, on, onConnect },
      user: state.user,
      config: manifest.config ?? {},
      base,
      url: `${base}isomer/m/${manifest.module}/`,
      state,
      manifest,
    };
    try {
      const panel = await import(manifest.script);
      await panel.mount(section, api);
      state.panels[manifest.id] = manifest;
    } catch (error) {
      // One broken panel is shown as such; the others work.
      console.error(`panel ${manifest.id}`, error);
      state.failed[manifest.id] = String(error);
      section.replaceChildren(`The ${manifest.title} panel failed to load: ${error}`);
      section.classList.add("failed");
    }
  }
  const first = panels.find((manifest) => manifest.kind !== "webapp");
  if (first) show(first.id);
}

// A Signal K web app (Freeboard-SK, an instrument panel) is a page of its own: its tab
// opens it, on the same origin, where it uses this login.
function webappLink(manifest) {
  const link = document.createElement("a");
  link.className = "webapp";
  link.id = `${manifest.id}-tab`;
  link.href = manifest.url;
  link.target = "_blank";
  link.rel = "noopener";
  link.title = manifest.title;
  link.dataset.webapp = manifest.module;
  if (manifest.icon_url) {
    const icon = document.createElement("img");
    icon.src = manifest.icon_url;
    icon.alt = "";
    icon.width = 20;
    icon.height = 20;
    link.append(icon);
  }
  link.append(manifest.title);
  return link;
}

function show(id) {
  for (const b of document.querySelectorAll("#panel-tabs button")) b.classList.toggle("active", b.dataset.panel === id);
  for (const p of document.querySelectorAll("#panels > .panel")) {
    const active = p.id === id;
    p.classList.toggle("active", active);
    if (active) p.dispatchEvent(new CustomEvent("isomer:show"));
  }
}

connect();
