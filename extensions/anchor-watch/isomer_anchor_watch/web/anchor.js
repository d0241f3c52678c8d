// Anchor watch panel: the circle, the boat's swing, the alarm (flash and sound).

const M_PER_DEG = 111_195; // metres per degree of latitude (mean Earth radius)

const MARKUP = `
  <div class="anchor-watch">
    <svg id="anchor-swing" viewBox="-110 -110 220 220" width="320" height="320" role="img">
      <circle id="anchor-circle" cx="0" cy="0" r="80" fill="none" stroke="#7ec8ff" stroke-dasharray="4 3"></circle>
      <polyline id="anchor-track" fill="none" stroke="#d0342c" stroke-width="1.5" points=""></polyline>
      <circle id="anchor-boat" cx="0" cy="0" r="4" fill="#ffd166" visibility="hidden"></circle>
      <text x="0" y="4" text-anchor="middle" fill="#e8f0f8" font-size="10">⚓</text>
    </svg>
    <p><strong id="anchor-state">off</strong> · <span id="anchor-distance">–</span></p>
    <p>anchor <span id="anchor-position">–</span></p>
    <p id="anchor-message" role="alert"></p>
  </div>`;

// Only crew (and admins) may set or raise the anchor (the server's rule for anchor/set and
// anchor/raise): anyone else, a viewer first of all, gets the state and no control to fail.
const CONTROLS = `
  <div id="anchor-controls">
    <label>radius (m) <input id="anchor-radius" type="number" min="5" max="2000" step="1"></label>
    <button id="anchor-drop" type="button">Anchor here</button>
    <button id="anchor-raise" type="button">Raise</button>
  </div>`;

export const maySet = (roles) => (roles ?? []).some((role) => role === "crew" || role === "admin");

const coordinate = (value, positive, negative) =>
  `${Math.abs(value).toFixed(5)}° ${value < 0 ? negative : positive}`;

export function mount(element, api) {
  const controls = maySet(api.user?.roles);
  // static markup: values go in with textContent/attributes
  element.innerHTML = MARKUP;
  if (controls) element.querySelector(".anchor-watch").insertAdjacentHTML("beforeend", CONTROLS);
  const $ = (id) => element.querySelector(`#${id}`);
  if (controls) $("anchor-radius").value = api.config.default_radius ?? 40;
  const view = { anchor: null, radius: null, track: [], state: "off" };
  api.state.anchorWatch = view; // for tests and curious crews

  function local(p) {
    // metres east and north of the anchor, scaled so the circle is 80 units
    const scale = 80 / view.radius;
    const x = (p.longitude - view.anchor.longitude) * M_PER_DEG * Math.cos(view.anchor.latitude * Math.PI / 180);
    const y = (p.latitude - view.anchor.latitude) * M_PER_DEG;
    return [Math.max(-105, Math.min(105, x * scale)), Math.max(-105, Math.min(105, -y * scale))];
  }

  function draw() {
    const on = Boolean(view.anchor);
    $("anchor-state").textContent = on ? view.state : "off";
    element.classList.toggle("alarm", on && view.state === "alarm");
    const boat = $("anchor-boat");
    if (!on) { boat.setAttribute("visibility", "hidden"); $("anchor-track").setAttribute("points", ""); return; }
    const pts = view.track.slice(-500).map(local);
    $("anchor-track").setAttribute("points", pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" "));
    if (pts.length) {
      const [x, y] = pts[pts.length - 1];
      boat.setAttribute("cx", x.toFixed(1));
      boat.setAttribute("cy", y.toFixed(1));
      boat.setAttribute("visibility", "visible");
    }
  }

  function show(status) {
    view.anchor = status.anchor;
    view.radius = status.radius;
    view.state = status.state;
    $("anchor-position").textContent = status.anchor
      ? `${coordinate(status.anchor.latitude, "N", "S")} ${coordinate(status.anchor.longitude, "E", "W")}`
      : "–";
    $("anchor-distance").textContent = status.distance == null
      ? `radius ${Math.round(status.radius)} m`
      : `${Math.round(status.distance)} m of ${Math.round(status.radius)} m`;
    draw();
  }

  let beeping = null;
  function sound(on) {
    if (on && !beeping) {
      try {
        const audio = new AudioContext();
        beeping = setInterval(() => {
          const tone = audio.createOscillator();
          tone.frequency.value = 880;
          tone.connect(audio.destination);
          tone.start();
          tone.stop(audio.currentTime + 0.3);
        }, 1000);
      } catch (e) { /* no audio device: the flashing remains */ }
    } else if (!on && beeping) {
      clearInterval(beeping);
      beeping = null;
    }
  }

  api.hub.on("live", (action, delta) => {
    if (action !== "delta" || delta.context !== "vessels.self") return;
    for (const update of delta.updates) {
      for (const { path, value } of update.values) {
        if (path === "navigation.position" && view.anchor) view.track.push(value);
        if (path === "navigation.anchor.currentRadius" && view.radius) {
          $("anchor-distance").textContent = `${Math.round(value)} m of ${Math.round(view.radius)} m`;
        }
        if (path === "notifications.navigation.anchor") {
          view.state = value.state;
          $("anchor-message").textContent = value.message ?? "";
          sound(value.state === "alarm");
        }
      }
    }
    draw();
  });

  api.hub.onConnect(async ({ resumed }) => {
    if (!resumed) {
      await api.hub.call("live", "subscribe", {
        paths: ["navigation.position", "navigation.anchor.*", "notifications.navigation.anchor"],
        policy: "instant",
      });
    }
    show(await api.hub.call("anchor", "status", {}));
  });

  if (controls) $("anchor-drop").addEventListener("click", async () => {
    try {
      view.track = [];
      show(await api.hub.call("anchor", "set", { radius: Number($("anchor-radius").value) }));
      $("anchor-message").textContent = "";
    } catch (error) {
      $("anchor-message").textContent = error.message;
    }
  });
  if (controls) $("anchor-raise").addEventListener("click", async () => {
    show(await api.hub.call("anchor", "raise", {}));
    sound(false);
  });

  const style = document.createElement("style");
  style.textContent = `
    .anchor-watch svg { background: #12355a; border-radius: 50%; }
    #anchor.alarm { animation: anchor-flash 0.6s step-end infinite; }
    @keyframes anchor-flash { 50% { background: #8b1a1a; } }`;
  element.append(style);
}
