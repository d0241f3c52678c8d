// Map: own ship, its track and AIS targets on the chart the platform serves (MapLibre GL,
// loaded by the shell from the platform's own assets: nothing comes from the internet).

import { addCharts } from "./charts.js";

export function mount(element, api) {
  element.innerHTML = '<div id="chart"></div><p id="map-status"></p>';
  const state = api.state;
  state.track = [];
  let map = null;
  let centred = false;

  api.hub.on("live", (action, delta) => {
    if (action !== "delta") return;
    if (delta.context === "vessels.self") {
      for (const update of delta.updates) {
        for (const { path, value } of update.values) {
          if (path === "navigation.position") state.track.push([value.longitude, value.latitude]);
        }
      }
    }
    schedule();
  });
  api.hub.onConnect(async ({ resumed }) => {
    if (resumed) return;
    await api.hub.call("live", "subscribe", { paths: ["navigation.position"], policy: "instant" });
    await api.hub.call("live", "subscribe", {
      paths: ["vessels.*.navigation.position", "vessels.*.name"], policy: "instant", minPeriod: 1000,
    });
  });
  element.addEventListener("isomer:show", () => {
    if (!map) init(); else map.resize();
  });

  let queued = false;
  function schedule() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; render(); });
  }

  function init() {
    const status = element.querySelector("#map-status");
    try {
      map = new maplibregl.Map({
        container: element.querySelector("#chart"),
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
      // the offline world basemap, then the charts, all from the platform's own tiles
      state.charts = await addCharts(map, api.base, status);
      map.addSource("track", { type: "geojson", data: empty });
      map.addSource("ais", { type: "geojson", data: empty });
      map.addSource("self", { type: "geojson", data: empty });
      map.addLayer({ id: "track", type: "line", source: "track", paint: { "line-color": "#d0342c", "line-width": 2 } });
      map.addLayer({ id: "ais", type: "circle", source: "ais", paint: { "circle-radius": 5, "circle-color": "#2a6f2a" } });
      map.addLayer({ id: "self", type: "circle", source: "self", paint: { "circle-radius": 7, "circle-color": "#d0342c", "circle-stroke-width": 2, "circle-stroke-color": "#fff" } });
      state.mapReady = true;
      render();
    });
  }

  function render() {
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
}
