// Instruments: SOG, COG, heading, depth, wind, water temperature, position.
// Values arrive in SI (m/s, rad, K, m); shown in the units crews read (kn, °, °C).

const KNOTS = 1.9438444924;
const DEG = 180 / Math.PI;

const fmt = (v, digits = 1) => (typeof v === "number" && isFinite(v) ? v.toFixed(digits) : "–");
const deg = (rad) => (typeof rad === "number" ? (rad * DEG + 360) % 360 : undefined);

function dm(value, pos, neg) {
  const a = Math.abs(value);
  const d = Math.floor(a);
  return `${d}° ${((a - d) * 60).toFixed(3)}′ ${value >= 0 ? pos : neg}`;
}

const TILES = `
  <div class="tile"><h2>SOG</h2><output id="sog">–</output><small>kn</small></div>
  <div class="tile"><h2>COG</h2><output id="cog">–</output><small>° true</small></div>
  <div class="tile"><h2>Heading</h2><output id="heading">–</output><small>° true</small></div>
  <div class="tile"><h2>Depth</h2><output id="depth">–</output><small>m below transducer</small></div>
  <div class="tile"><h2>Wind (app.)</h2><output id="awa">–</output><small id="aws">– kn</small></div>
  <div class="tile"><h2>Water</h2><output id="temperature">–</output><small>°C</small></div>
  <div class="tile wide"><h2>Position</h2><output id="position">–</output><small id="fix">no fix</small></div>`;

export function mount(element, api) {
  element.innerHTML = TILES; // static markup: no value from the network goes in here
  const s = api.state.self;
  const set = (id, text) => { element.querySelector(`#${id}`).textContent = text; };

  function render() {
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

  let queued = false;
  api.hub.on("live", (action, delta) => {
    if (action !== "delta" || delta.context !== "vessels.self" || queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; render(); });
  });
  api.hub.onConnect(async ({ resumed }) => {
    if (!resumed) {
      await api.hub.call("live", "subscribe", { paths: ["navigation.*", "environment.*"], policy: "instant" });
    }
  });
}
