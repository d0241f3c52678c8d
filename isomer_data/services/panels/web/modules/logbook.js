// Logbook: the ship's log. The server stamps each new entry with the boat's position, speed,
// course and wind at the time of writing (``conditions``); the list shows them.

const KNOTS = 1.9438444924;
const DEG = 180 / Math.PI;
const num = (v) => typeof v === "number" && isFinite(v);

function dm(value, pos, neg) {
  const a = Math.abs(value);
  const d = Math.floor(a);
  return `${d}° ${((a - d) * 60).toFixed(1)}′ ${value >= 0 ? pos : neg}`;
}

export function describeConditions(c) {
  if (!c) return "";
  const parts = [];
  const p = c.position;
  if (p && num(p.latitude) && num(p.longitude)) parts.push(`${dm(p.latitude, "N", "S")} ${dm(p.longitude, "E", "W")}`);
  if (num(c.speedOverGround)) parts.push(`SOG ${(c.speedOverGround * KNOTS).toFixed(1)} kn`);
  if (num(c.courseOverGroundTrue)) parts.push(`COG ${((c.courseOverGroundTrue * DEG + 360) % 360).toFixed(0)}°`);
  if (num(c.windSpeedTrue)) parts.push(`wind ${(c.windSpeedTrue * KNOTS).toFixed(1)} kn true`);
  else if (num(c.windSpeedApparent)) {
    const angle = num(c.windAngleApparent)
      ? ` ${Math.abs(c.windAngleApparent * DEG).toFixed(0)}° ${c.windAngleApparent < 0 ? "P" : "S"}` : "";
    parts.push(`wind ${(c.windSpeedApparent * KNOTS).toFixed(1)} kn app.${angle}`);
  }
  if (num(c.depthBelowTransducer)) parts.push(`depth ${c.depthBelowTransducer.toFixed(1)} m`);
  return parts.join(" · ");
}

const FORM = `
  <form id="entry">
    <select name="category">
      <option>navigation</option><option>weather</option><option>engine</option>
      <option>watch</option><option selected>event</option><option>science</option>
    </select>
    <textarea name="text" rows="2" placeholder="What happened?"></textarea>
    <button type="submit">Add to log</button>
    <p id="entry-errors" role="alert"></p>
  </form>
  <ol id="entries"></ol>`;

export const describeErrors = (error) =>
  (error.details ?? []).map((d) => `${d.field}: ${d.message}`).join("; ") || error.message;

export function mount(element, api) {
  element.innerHTML = FORM;
  const form = element.querySelector("#entry");
  const errors = element.querySelector("#entry-errors");
  const list = element.querySelector("#entries");
  // a viewer reads the log and writes nothing (the server refuses it anyway): no form
  form.hidden = (api.user?.roles ?? []).every((role) => role === "viewer");

  async function load() {
    const reply = await api.hub.call("objects", "getlist", { schema: "logbookentry", sort: [["time", -1]], limit: 100 });
    list.replaceChildren(...reply.items.map((entry) => {
      const li = document.createElement("li");
      const time = document.createElement("time");
      time.textContent = entry.time.replace("T", " ").slice(0, 16);
      const conditions = document.createElement("span");
      conditions.className = "conditions";
      conditions.textContent = describeConditions(entry.conditions);
      li.append(time, `[${entry.category ?? "event"}] ${entry.text} — ${entry.author ?? ""}`, conditions);
      return li;
    }));
  }

  api.hub.on("objects", (action, data) => { if (data?.schema === "logbookentry") load(); });
  api.hub.onConnect(async ({ resumed }) => {
    if (!resumed) await api.hub.call("objects", "subscribe", { schema: "logbookentry" });
    await load();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // position, speed and wind are stamped by the server from its live values
    const entry = { time: new Date().toISOString(), category: form.category.value, text: form.text.value };
    try {
      await api.hub.call("objects", "put", { schema: "logbookentry", object: entry });
      form.text.value = "";
      errors.textContent = "";
    } catch (error) {
      errors.textContent = describeErrors(error);
    }
  });
}
