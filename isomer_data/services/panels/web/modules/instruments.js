// Instruments: SOG, COG, heading, depth, wind (a dial, apparent and true), water
// temperature, position with the fix's age. Values arrive in SI (m/s, rad, K, m) and are
// shown in the units crews read (kn, °, °C). A fix older than STALE_MS is marked stale.

const KNOTS = 1.9438444924;
const DEG = 180 / Math.PI;
export const STALE_MS = 10000;

const fmt = (v, digits = 1) => (typeof v === "number" && isFinite(v) ? v.toFixed(digits) : "–");
const deg = (rad) => (typeof rad === "number" ? (rad * DEG + 360) % 360 : undefined);
const num = (v) => typeof v === "number" && isFinite(v);

function dm(value, pos, neg) {
  const a = Math.abs(value);
  const d = Math.floor(a);
  return `${d}° ${((a - d) * 60).toFixed(3)}′ ${value >= 0 ? pos : neg}`;
}

export function age(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d`;
}

// The wind dial: the boat points up; red (port) and green (starboard) close-hauled sectors;
// a solid needle for the apparent wind angle, a dashed one for the true wind angle.
const C = 100; // centre of the 200×200 viewBox
const R = 88;
function polar(angleDeg, radius) {
  const a = (angleDeg - 90) / DEG;
  return [C + radius * Math.cos(a), C + radius * Math.sin(a)];
}
function arc(from, to, radius) {
  const [x1, y1] = polar(from, radius);
  const [x2, y2] = polar(to, radius);
  return `M${x1.toFixed(1)},${y1.toFixed(1)} A${radius},${radius} 0 0 1 ${x2.toFixed(1)},${y2.toFixed(1)}`;
}
function dialMarkup() {
  const ticks = [];
  for (let a = 0; a < 360; a += 30) {
    const [x1, y1] = polar(a, R);
    const [x2, y2] = polar(a, R - (a % 90 ? 6 : 12));
    ticks.push(`<line class="tick" x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}"/>`);
  }
  return `<svg id="wind-dial" viewBox="0 0 200 200" role="img" aria-label="wind dial">
    <circle class="ring" cx="${C}" cy="${C}" r="${R}"/>
    <path class="starboard" d="${arc(20, 60, R - 4)}"/><path class="port" d="${arc(300, 340, R - 4)}"/>
    ${ticks.join("")}
    <path class="boat" d="M100,62 C112,80 112,118 106,138 L94,138 C88,118 88,80 100,62 Z"/>
    <line id="needle-true" class="needle-true" x1="100" y1="100" x2="100" y2="24" visibility="hidden"/>
    <line id="needle-apparent" class="needle-apparent" x1="100" y1="100" x2="100" y2="16" visibility="hidden"/>
    <text x="100" y="196">0</text>
  </svg>`;
}

const TILES = `
  <div class="tile"><h2>SOG</h2><output id="sog">–</output><small>kn</small></div>
  <div class="tile"><h2>COG</h2><output id="cog">–</output><small>° true</small></div>
  <div class="tile dial wide"><h2>Wind</h2>${dialMarkup()}
    <div><small>app.</small> <output id="awa" style="display:inline;font-size:1.4em">–</output>
      <small id="aws">– kn</small></div>
    <div><small>true</small> <output id="twa" style="display:inline;font-size:1.4em">–</output>
      <small id="tws">– kn</small></div></div>
  <div class="tile"><h2>Heading</h2><output id="heading">–</output><small>° true</small></div>
  <div class="tile"><h2>Depth</h2><output id="depth">–</output><small>m below transducer</small></div>
  <div class="tile"><h2>Water</h2><output id="temperature">–</output><small>°C</small></div>
  <div class="tile wide"><h2>Position</h2><output id="position">–</output><small id="fix">no fix</small></div>`;

// Side of the boat the wind comes from: Signal K angles are −π..π, negative to port.
const side = (rad) => `${fmt(Math.abs(rad * DEG), 0)}° ${rad < 0 ? "P" : "S"}`;

export function mount(element, api) {
  element.innerHTML = TILES; // static markup: no value from the network goes in here
  const s = api.state.self;
  const times = api.state.times;
  const set = (id, text) => { element.querySelector(`#${id}`).textContent = text; };
  const needle = (id, rad) => {
    const line = element.querySelector(`#${id}`);
    if (!num(rad)) { line.setAttribute("visibility", "hidden"); return; }
    line.setAttribute("visibility", "visible");
    line.setAttribute("transform", `rotate(${(rad * DEG).toFixed(1)} 100 100)`);
    line.dataset.degrees = (rad * DEG).toFixed(1);
  };

  function trueWindAngle() {
    const twa = s["environment.wind.angleTrueWater"] ?? s["environment.wind.angleTrueGround"];
    if (num(twa)) return twa;
    const direction = s["environment.wind.directionTrue"];
    const heading = s["navigation.headingTrue"];
    if (!num(direction) || !num(heading)) return undefined;
    let a = direction - heading;
    while (a > Math.PI) a -= 2 * Math.PI;
    while (a < -Math.PI) a += 2 * Math.PI;
    return a;
  }

  function renderFix() {
    const at = times["navigation.position"];
    const fix = element.querySelector("#fix");
    const position = element.querySelector("#position");
    if (!s["navigation.position"] || at === undefined) return;
    const old = Date.now() - at;
    const stale = old > STALE_MS;
    fix.textContent = `fix ${new Date(at).toISOString().slice(11, 19)} UTC · ${age(old)} ago${stale ? " · STALE" : ""}`;
    fix.classList.toggle("stale", stale);
    position.classList.toggle("stale", stale);
  }

  function render() {
    set("sog", fmt(s["navigation.speedOverGround"] * KNOTS));
    set("cog", fmt(deg(s["navigation.courseOverGroundTrue"]), 0));
    set("heading", fmt(deg(s["navigation.headingTrue"] ?? s["navigation.headingMagnetic"]), 0));
    set("depth", fmt(s["environment.depth.belowTransducer"]));
    const awa = s["environment.wind.angleApparent"];
    set("awa", num(awa) ? side(awa) : "–");
    set("aws", `${fmt(s["environment.wind.speedApparent"] * KNOTS)} kn`);
    const twa = trueWindAngle();
    set("twa", num(twa) ? side(twa) : "–");
    set("tws", `${fmt(s["environment.wind.speedTrue"] * KNOTS)} kn`);
    needle("needle-apparent", awa);
    needle("needle-true", twa);
    set("temperature", fmt(s["environment.water.temperature"] - 273.15));
    const p = s["navigation.position"];
    if (p) set("position", `${dm(p.latitude, "N", "S")}  ${dm(p.longitude, "E", "W")}`);
    renderFix();
  }

  let queued = false;
  api.hub.on("live", (action, delta) => {
    if (action !== "delta" || delta.context !== "vessels.self" || queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; render(); });
  });
  // The fix ages while nothing arrives: that is when it matters most. Once a second, and
  // only while the page is visible (no work for a tablet in a drawer).
  setInterval(() => { if (!document.hidden) renderFix(); }, 1000);
  api.hub.onConnect(async ({ resumed }) => {
    if (!resumed) {
      await api.hub.call("live", "subscribe", { paths: ["navigation.*", "environment.*"], policy: "instant" });
    }
  });
}
