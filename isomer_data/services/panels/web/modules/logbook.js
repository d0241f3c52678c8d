// Logbook: the ship's log; a new entry carries the current position when there is one.

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

  async function load() {
    const reply = await api.hub.call("objects", "getlist", { schema: "logbookentry", sort: [["time", -1]], limit: 100 });
    list.replaceChildren(...reply.items.map((entry) => {
      const li = document.createElement("li");
      const time = document.createElement("time");
      time.textContent = entry.time.replace("T", " ").slice(0, 16);
      li.append(time, `[${entry.category ?? "event"}] ${entry.text} — ${entry.author ?? ""}`);
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
    const entry = { time: new Date().toISOString(), category: form.category.value, text: form.text.value };
    const p = api.state.self["navigation.position"];
    if (p) entry.position = { latitude: p.latitude, longitude: p.longitude };
    try {
      await api.hub.call("objects", "put", { schema: "logbookentry", object: entry });
      form.text.value = "";
      errors.textContent = "";
    } catch (error) {
      errors.textContent = describeErrors(error);
    }
  });
}
