// Users (admins only: the panel is listed to admins, and the object manager refuses anyone
// else anyway): create and delete users, approve or deny devices asking for access.

const MARKUP = `
  <form id="new-user">
    <input name="username" placeholder="user name" autocomplete="off">
    <input name="name" placeholder="display name">
    <input name="password" type="password" placeholder="password (8+)" autocomplete="new-password">
    <fieldset>
      <label><input type="checkbox" name="roles" value="crew" checked> crew</label>
      <label><input type="checkbox" name="roles" value="scientist"> scientist</label>
      <label><input type="checkbox" name="roles" value="vessel"> vessel</label>
      <label title="reads what crew reads, changes nothing"><input type="checkbox" name="roles" value="viewer"> viewer</label>
      <label><input type="checkbox" name="roles" value="admin"> admin</label>
    </fieldset>
    <button type="submit">Create user</button>
    <p id="user-errors" role="alert"></p>
  </form>
  <h3>Devices asking for access</h3>
  <ul id="access-requests"></ul>
  <table id="user-list"><thead><tr><th>user</th><th>name</th><th>roles</th><th></th></tr></thead><tbody></tbody></table>`;

export function mount(element, api) {
  element.innerHTML = MARKUP;
  const call = api.hub.call;

  async function loadUsers() {
    const reply = await call("objects", "getlist", { schema: "user", sort: [["username", 1]], limit: 1000 });
    api.state.users = reply.items;
    const body = element.querySelector("#user-list tbody");
    body.replaceChildren(...reply.items.map((user) => {
      const row = document.createElement("tr");
      for (const text of [user.username, user.name ?? "", (user.roles ?? []).join(", ")]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      const cell = document.createElement("td");
      const remove = document.createElement("button");
      remove.textContent = "delete";
      remove.addEventListener("click", async () => {
        if (confirm(`Delete ${user.username} and revoke their tokens?`)) {
          await call("objects", "delete", { schema: "user", uuid: user.uuid });
        }
      });
      cell.append(remove);
      row.append(cell);
      return row;
    }));
  }

  async function loadAccessRequests() {
    const requests = await call("access", "list", {});
    const list = element.querySelector("#access-requests");
    list.replaceChildren(...requests.map((request) => {
      const li = document.createElement("li");
      li.textContent = `${request.description || request.clientId} (${request.permissions}, from ${request.address}) `;
      for (const action of ["approve", "deny"]) {
        const button = document.createElement("button");
        button.textContent = action;
        button.addEventListener("click", async () => {
          // Approve exactly what this line shows: the server refuses if the request differs.
          const data = action === "approve"
            ? { requestId: request.requestId, permissions: request.permissions }
            : { requestId: request.requestId };
          await call("access", action, data);
          loadAccessRequests();
          loadUsers();
        });
        li.append(button);
      }
      return li;
    }));
  }

  api.hub.on("objects", (action, data) => { if (data?.schema === "user") loadUsers(); });
  api.hub.on("access", () => loadAccessRequests());
  api.hub.onConnect(async ({ resumed }) => {
    if (!resumed) await call("objects", "subscribe", { schema: "user" });
    await Promise.all([loadUsers(), loadAccessRequests()]);
  });

  element.querySelector("#new-user").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const errors = element.querySelector("#user-errors");
    const user = {
      username: form.username.value.trim(),
      roles: [...form.querySelectorAll("input[name=roles]:checked")].map((box) => box.value),
      password: form.password.value,
    };
    if (form.name.value.trim()) user.name = form.name.value.trim();
    try {
      await call("objects", "put", { schema: "user", object: user });
      form.reset();
      errors.textContent = "";
    } catch (error) {
      errors.textContent = (error.details ?? []).map((d) => `${d.field}: ${d.message}`).join("; ") || error.message;
    }
  });
}
