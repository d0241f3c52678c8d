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
    <p id="anchor-message" role="alert"></p>
    <label>radius (m) <input id="anchor-radius" type="number" min="5" max="2000" step="1"></label>
    <button id="anchor-drop" type="button">Anchor here</button>
    <button id="anchor-raise" type="button">Raise</button>
  </div>`;

export function mount(element, api) {
  element.innerHTML = MARKUP; // static markup: values go in with textContent/attributes
  const $ = (id) => element.querySelector(`#${id}`);
  $("anchor-radius").value = api.config.default_radius ?? 40;
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

  $("anchor-drop").addEventListener("click", async () => {
    try {
      view.track = [];
      show(await api.hub.call("anchor", "set", { radius: Number($("anchor-radius").value) }));
      $("anchor-message").textContent = "";
    } catch (error) {
      $("anchor-message").textContent = error.message;
    }
  });
  $("anchor-raise").addEventListener("click", async () => {
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
