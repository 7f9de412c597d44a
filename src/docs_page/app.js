// The page of GET / and /docs: reads /openapi.json (with the token the user gives, when the
// server enforces one) and shows the server's mode, how to call it, and every route. Nothing
// is fetched from elsewhere, and the token stays in this tab's sessionStorage.
"use strict";

const TOKEN_KEY = "nodetool-edge-token";

function show(id, visible) {
  document.getElementById(id).hidden = !visible;
}

function text(id, value) {
  document.getElementById(id).textContent = value;
}

function access(operation) {
  const needs = operation.security || [];
  if (needs.length === 0) {
    return "public";
  }
  return Object.keys(needs[0]).join(" + ");
}

function render(doc) {
  const info = doc["x-nodetool-edge"] || {};
  text("mode", info.mode || "");
  text("provider", info.auth_provider || "");
  text("enforced", info.auth_enforced ? "required (Authorization: Bearer <token>)" : "not needed");
  const origin = window.location.origin;
  const auth = info.auth_enforced ? ' -H "Authorization: Bearer $TOKEN"' : "";
  const admin = info.admin_token ? ' -H "X-Admin-Token: $ADMIN_TOKEN"' : "";
  text("example", [
    `curl ${origin}/api/workflows${auth}`,
    `curl -X POST ${origin}/api/workflows/<id>/run${auth} \\`,
    `  -H "Content-Type: application/json" -d '{"params": {}}'`,
    `curl ${origin}/admin/collections${auth}${admin}`,
  ].join("\n"));
  const rows = document.getElementById("route-rows");
  rows.replaceChildren();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, operation] of Object.entries(item)) {
      const row = document.createElement("tr");
      row.dataset.route = `${method.toUpperCase()} ${path}`;
      for (const [cls, value] of [
        ["method", method.toUpperCase()],
        ["path", path],
        ["summary", operation.summary || ""],
        ["access", access(operation)],
      ]) {
        const cell = document.createElement("td");
        cell.className = cls;
        cell.textContent = value;
        row.append(cell);
      }
      rows.append(row);
    }
  }
  show("server", true);
  show("call", true);
  show("routes", true);
  show("token", false);
  text("status", `${rows.children.length} routes.`);
}

async function load() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  let response;
  try {
    response = await fetch("/openapi.json", { headers });
  } catch (e) {
    text("status", `The server could not be reached: ${e}`);
    return;
  }
  if (response.status === 401) {
    if (token) {
      sessionStorage.removeItem(TOKEN_KEY);
      text("token-error", "That token was not accepted.");
    }
    show("token", true);
    text("status", "");
    return;
  }
  if (!response.ok) {
    text("status", `The API description could not be read (HTTP ${response.status}).`);
    return;
  }
  render(await response.json());
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = document.getElementById("token-input").value.trim();
    if (value) {
      sessionStorage.setItem(TOKEN_KEY, value);
      text("token-error", "");
      load();
    }
  });
  load();
});
