// Chart layers for the map panel: the offline world basemap and every chart the platform
// serves (GET signalk/v2/api/resources/charts), as MapLibre sources of the platform's own
// tiles. The basemap goes at the bottom, charts above it in the listed order, and
// everything the panel draws itself (track, targets, own ship) above the charts.

export const BASEMAP = "world-basemap";
const LAND = "#e6d8b0";
const COAST = "#5a4a2a";

// S-57 object classes drawn, bottom to top: [class, MapLibre layer type, paint].
const S57 = [
  ["DEPARE", "fill", { "fill-color": ["step", ["coalesce", ["get", "DRVAL1"], 0], "#9ecae1", 5, "#c6dbef", 10, "#deebf7", 20, "#f7fbff"] }],
  ["LNDARE", "fill", { "fill-color": LAND }],
  ["DEPCNT", "line", { "line-color": "#6f8fa8", "line-width": 0.8 }],
  ["COALNE", "line", { "line-color": COAST, "line-width": 1.2 }],
  ["OBSTRN", "circle", { "circle-radius": 3, "circle-color": "#333" }],
  ["WRECKS", "circle", { "circle-radius": 3, "circle-color": "#333" }],
  ["SOUNDG", "circle", { "circle-radius": 1.5, "circle-color": "#40607a" }],
  ["BOYLAT", "circle", { "circle-radius": 4, "circle-color": "#c0392b", "circle-stroke-width": 1, "circle-stroke-color": "#fff" }],
  ["BOYCAR", "circle", { "circle-radius": 4, "circle-color": "#f1c40f", "circle-stroke-width": 1, "circle-stroke-color": "#000" }],
  ["LIGHTS", "circle", { "circle-radius": 3, "circle-color": "#ff00ff" }],
];

function absolute(url) {
  // MapLibre asks for absolute tile URLs; new URL() would escape the {z}/{x}/{y} braces
  return url.startsWith("/") ? location.origin + url : url;
}

function source(chart) {
  const common = { tiles: [absolute(chart.url)], minzoom: chart.minzoom, maxzoom: chart.maxzoom, bounds: chart.bounds };
  if (chart.format === "pbf") return { type: "vector", ...common };
  return { type: "raster", tileSize: 256, ...common };
}

function layersFor(chart) {
  const id = `chart-${chart.identifier}`;
  if (chart.identifier === BASEMAP) {
    return [
      { id: `${id}-land`, type: "fill", source: id, "source-layer": "land", paint: { "fill-color": LAND } },
      { id: `${id}-coastline`, type: "line", source: id, "source-layer": "coastline", paint: { "line-color": COAST, "line-width": 0.8 } },
    ];
  }
  if (chart.format !== "pbf") return [{ id, type: "raster", source: id }];
  if (chart.type === "S-57") {
    return S57.filter(([name]) => chart.layers.includes(name)).map(([name, type, paint]) => (
      { id: `${id}-${name}`, type, source: id, "source-layer": name, paint }
    ));
  }
  // A vector pack of unknown schema: every layer drawn plainly by geometry type.
  return (chart.layers || []).flatMap((name) => [
    { id: `${id}-${name}-fill`, type: "fill", source: id, "source-layer": name, filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#d9c8a0", "fill-opacity": 0.6 } },
    { id: `${id}-${name}-line`, type: "line", source: id, "source-layer": name, filter: ["==", ["geometry-type"], "LineString"], paint: { "line-color": "#555" } },
    { id: `${id}-${name}-point`, type: "circle", source: id, "source-layer": name, filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": 3, "circle-color": "#555" } },
  ]);
}

// Adds the basemap and the charts under `beforeId` (the panel's first own layer, or none).
// Returns the charts listed; a failed listing leaves the plain sea and says so in `status`.
export async function addCharts(map, base, status, beforeId) {
  let charts = {};
  try {
    const reply = await fetch(`${base}signalk/v2/api/resources/charts`, { credentials: "same-origin" });
    if (!reply.ok) throw new Error(`${reply.status}`);
    charts = await reply.json();
  } catch (error) {
    if (status) status.textContent = `No charts (${error.message}): the sea only.`;
    return {};
  }
  const ordered = Object.values(charts).sort((a, b) => (a.identifier === BASEMAP ? -1 : b.identifier === BASEMAP ? 1 : 0));
  for (const chart of ordered) {
    const id = `chart-${chart.identifier}`;
    map.addSource(id, source(chart));
    for (const layer of layersFor(chart)) map.addLayer(layer, beforeId);
  }
  return charts;
}
