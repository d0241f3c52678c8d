// Map: own ship, its track and AIS targets on the chart the platform serves (MapLibre GL,
// loaded by the shell from the platform's own assets: nothing comes from the internet).
// Zoom buttons and a compass, a scale in nautical miles, north-up or course-up, AIS targets
// with their names and a course vector of VECTOR_MINUTES, and the own ship's.

export const VECTOR_MINUTES = 6;
const EARTH_RADIUS = 6371008.8;
const MAX_LABELS = 200; // name labels are DOM elements: bounded

// The point reached after ``seconds`` at ``sog`` m/s on ``cog`` rad true (local flat earth:
// a few minutes' vector, metres of error at most).
export function ahead(lon, lat, cog, sog, seconds) {
  const d = sog * seconds;
  const dlat = (d * Math.cos(cog)) / EARTH_RADIUS;
  const dlon = (d * Math.sin(cog)) / (EARTH_RADIUS * Math.cos((lat * Math.PI) / 180));
  return [lon + (dlon * 180) / Math.PI, lat + (dlat * 180) / Math.PI];
}

const num = (v) => typeof v === "number" && isFinite(v);

import { addCharts } from "./charts.js";

export function mount(element, api) {
  element.innerHTML = `<div id="map-tools">
      <button id="orientation" type="button" data-mode="north" title="North up or course up">North up</button>
      <button id="recentre" type="button" title="Centre on own ship">⌖ Own ship</button>
    </div><div id="chart"></div><p id="map-status"></p>`;
  const state = api.state;
  state.track = [];
  let map = null;
  let centred = false;
  let follow = true;
  const labels = new Map(); // context -> maplibregl.Marker with the target's name
  const orientation = element.querySelector("#orientation");
  orientation.addEventListener("click", () => {
    const course = orientation.dataset.mode === "north";
    orientation.dataset.mode = course ? "course" : "north";
    orientation.textContent = course ? "Course up" : "North up";
    state.mapOrientation = orientation.dataset.mode;
    if (!course && map) map.setBearing(0);
    schedule();
  });
  state.mapOrientation = "north";
  element.querySelector("#recentre").addEventListener("click", () => { follow = true; centred = false; schedule(); });

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
    await api.hub.call("live", "subscribe", {
      paths: ["navigation.position", "navigation.courseOverGroundTrue", "navigation.speedOverGround",
        "navigation.headingTrue"],
      policy: "instant",
    });
    await api.hub.call("live", "subscribe", {
      paths: ["vessels.*.navigation.position", "vessels.*.name", "vessels.*.navigation.courseOverGroundTrue",
        "vessels.*.navigation.speedOverGround"],
      policy: "instant", minPeriod: 1000,
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
    map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "nautical", maxWidth: 120 }), "bottom-left");
    map.on("dragstart", () => { follow = false; });
    map.on("load", async () => {
      const empty = { type: "FeatureCollection", features: [] };
      // the offline world basemap, then the charts, all from the platform's own tiles
      state.charts = await addCharts(map, api.base, status);
      map.addSource("track", { type: "geojson", data: empty });
      map.addSource("ais", { type: "geojson", data: empty });
      map.addSource("self", { type: "geojson", data: empty });
      map.addSource("vectors", { type: "geojson", data: empty });
      map.addLayer({ id: "vectors", type: "line", source: "vectors", paint: {
        "line-color": ["case", ["get", "own"], "#d0342c", "#2a6f2a"], "line-width": 2, "line-dasharray": [2, 1],
      } });
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
    const vectors = [];
    if (p) {
      map.getSource("self").setData({ type: "Point", coordinates: [p.longitude, p.latitude] });
      if (!centred || follow) { map.jumpTo({ center: [p.longitude, p.latitude] }); centred = true; }
      const cog = state.self["navigation.courseOverGroundTrue"];
      const sog = state.self["navigation.speedOverGround"];
      if (num(cog) && num(sog) && sog > 0.1) {
        vectors.push(vector(p, cog, sog, true, "self"));
      }
      if (state.mapOrientation === "course") {
        const up = num(cog) ? cog : state.self["navigation.headingTrue"];
        if (num(up)) map.setBearing((up * 180) / Math.PI);
      }
    }
    if (state.track.length > 1) {
      map.getSource("track").setData({ type: "LineString", coordinates: state.track.slice(-5000) });
    }
    const targets = Object.entries(state.vessels).filter(([, v]) => v["navigation.position"]);
    const features = targets.map(([context, v]) => {
      const q = v["navigation.position"];
      const cog = v["navigation.courseOverGroundTrue"];
      const sog = v["navigation.speedOverGround"];
      if (num(cog) && num(sog) && sog > 0.1) vectors.push(vector(q, cog, sog, false, context));
      return {
        type: "Feature",
        properties: { context, name: typeof v.name === "string" ? v.name : "" },
        geometry: { type: "Point", coordinates: [q.longitude, q.latitude] },
      };
    });
    map.getSource("ais").setData({ type: "FeatureCollection", features });
    map.getSource("vectors").setData({ type: "FeatureCollection", features: vectors });
    state.mapVectors = vectors.map((f) => f.properties.context);
    renderLabels(targets);
  }

  function vector(position, cog, sog, own, context) {
    const start = [position.longitude, position.latitude];
    return {
      type: "Feature",
      properties: { own, context },
      geometry: { type: "LineString", coordinates: [start, ahead(...start, cog, sog, VECTOR_MINUTES * 60)] },
    };
  }

  // Names as HTML labels (MapLibre's text needs glyph files; these need nothing), for the
  // MAX_LABELS targets nearest the map's centre.
  function renderLabels(targets) {
    const centre = map.getCenter();
    const near = targets
      .map(([context, v]) => [context, v, (v["navigation.position"].longitude - centre.lng) ** 2
        + (v["navigation.position"].latitude - centre.lat) ** 2])
      .sort((a, b) => a[2] - b[2])
      .slice(0, MAX_LABELS);
    const keep = new Set();
    for (const [context, v] of near) {
      const mmsi = context.split(":").pop();
      const name = (typeof v.name === "string" && v.name.trim()) || mmsi;
      let marker = labels.get(context);
      if (!marker) {
        const el = document.createElement("div");
        el.className = "ais-label";
        el.dataset.context = context;
        marker = new maplibregl.Marker({ element: el, anchor: "left" });
        labels.set(context, marker);
        marker.setLngLat([v["navigation.position"].longitude, v["navigation.position"].latitude]).addTo(map);
      }
      marker.getElement().textContent = name;
      marker.setLngLat([v["navigation.position"].longitude, v["navigation.position"].latitude]);
      keep.add(context);
    }
    for (const [context, marker] of labels) {
      if (!keep.has(context)) { marker.remove(); labels.delete(context); }
    }
  }
}
