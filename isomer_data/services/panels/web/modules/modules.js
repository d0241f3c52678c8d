// Modules (admins): every module with its state and error, enable/disable, and a form
// generated from its configuration schema. The server validates; its field errors are
// shown beside the inputs. Saving restarts that module only.

const text = (tag, content, attrs = {}) => {
  const el = document.createElement(tag);
  if (content !== undefined) el.textContent = content;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
};

function input(key, spec, value) {
  let el;
  if (Array.isArray(spec.enum)) {
    el = text("select");
    for (const option of spec.enum) el.append(text("option", String(option), { value: JSON.stringify(option) }));
    el.value = JSON.stringify(value ?? spec.default ?? spec.enum[0]);
    el.dataset.kind = "enum";
  } else if (spec.type === "boolean") {
    el = text("input", undefined, { type: "checkbox" });
    el.checked = Boolean(value);
    el.dataset.kind = "boolean";
  } else if (spec.type === "number" || spec.type === "integer") {
    el = text("input", undefined, { type: "number", step: spec.type === "integer" ? "1" : "any" });
    el.value = value ?? "";
    el.dataset.kind = "number";
  } else if (spec.type === "string") {
    el = text("input", undefined, { type: spec.writeOnly ? "password" : "text" });
    if (spec.writeOnly) el.placeholder = "unchanged";
    el.value = value ?? "";
    el.dataset.kind = "string";
  } else {
    el = text("textarea", undefined, { rows: "2" });
    el.value = value === undefined ? "" : JSON.stringify(value);
    el.dataset.kind = "json";
  }
  el.name = key;
  return el;
}

function read(el) {
  switch (el.dataset.kind) {
    case "enum": return JSON.parse(el.value);
    case "boolean": return el.checked;
    case "number": return el.value === "" ? undefined : Number(el.value);
    case "string": return el.value;
    default: {
      if (el.value.trim() === "") return undefined;
      try { return JSON.parse(el.value); } catch (e) { return el.value; }
    }
  }
}

function form(module, api, reload) {
  const schema = module.config_schema ?? {};
  const props = schema.properties ?? {};
  const f = text("form", undefined, { "data-module": module.name });
  for (const [key, spec] of Object.entries(props)) {
    const label = text("label", spec.title ?? key);
    label.append(input(key, spec, module.config?.[key]));
    if (spec.description) label.title = spec.description;
    f.append(label, text("span", "", { class: "field-error", "data-field": key }));
  }
  const general = text("p", "", { class: "form-error", role: "alert" });
  f.append(text("button", "Save and restart", { type: "submit" }), general);
  f.addEventListener("submit", async (event) => {
    event.preventDefault();
    const config = {};
    for (const el of f.querySelectorAll("[name]")) {
      const value = read(el);
      // an empty write-only field (a password) keeps the stored value
      if (value === undefined || (props[el.name]?.writeOnly && value === "")) continue;
      config[el.name] = value;
    }
    for (const span of f.querySelectorAll(".field-error")) span.textContent = "";
    general.textContent = "";
    try {
      await api.hub.call("modules", "configure", { name: module.name, config });
      await reload();
    } catch (error) {
      for (const d of error.details ?? []) {
        const top = String(d.field).split(/[.[]/)[0];
        const span = f.querySelector(`.field-error[data-field="${CSS.escape(top)}"]`);
        if (span) span.textContent = d.message; else general.textContent += `${d.field}: ${d.message} `;
      }
      if (!(error.details ?? []).length) general.textContent = error.message;
    }
  });
  return f;
}

export function mount(element, api) {
  element.innerHTML = `<table id="module-list"><thead><tr><th>module</th><th>version</th>
    <th>state</th><th></th></tr></thead><tbody></tbody></table>`;
  const body = element.querySelector("tbody");

  async function reload() {
    const modules = await api.hub.call("modules", "list", {});
    api.state.modules = modules;
    body.replaceChildren(...modules.flatMap((module) => {
      const row = text("tr", undefined, { "data-module": module.name });
      row.append(text("td", module.name, { title: module.description }), text("td", module.version));
      const state = text("td", module.state, { class: "state" });
      if (module.error) state.title = `${module.error.stage}: ${module.error.error}: ${module.error.message}`;
      row.append(state);
      const actions = text("td");
      if (!module.always_on && (module.state !== "failed" || module.error?.stage === "start")) {
        const toggle = text("button", module.enabled ? "disable" : "enable", { class: "toggle" });
        toggle.addEventListener("click", async () => {
          await api.hub.call("modules", module.enabled ? "disable" : "enable", { name: module.name });
          await reload();
        });
        actions.append(toggle);
      }
      row.append(actions);
      const rows = [row];
      if (module.error) {
        const detail = text("tr", undefined, { class: "module-error" });
        detail.append(text("td", `${module.error.stage}: ${module.error.error}: ${module.error.message}`, { colspan: "4" }));
        rows.push(detail);
      }
      if (Object.keys(module.config_schema?.properties ?? {}).length) {
        const settings = text("tr", undefined, { class: "settings" });
        const cell = text("td", undefined, { colspan: "4" });
        cell.append(form(module, api, reload));
        settings.append(cell);
        rows.push(settings);
      }
      return rows;
    }));
  }

  api.hub.onConnect(() => reload());
}
