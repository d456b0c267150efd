// The demo page: loads the wasm package built by `wasm-pack build --target web` into www/pkg.
import init, { detectFeatures } from "./pkg/universal_socket.js";

function showFeatures(features) {
  const table = document.getElementById("features");
  const body = document.createElement("tbody");
  for (const [name, supported] of Object.entries(features)) {
    const row = body.insertRow();
    row.insertCell().textContent = name;
    const cell = row.insertCell();
    cell.textContent = supported ? "yes" : "no";
    cell.className = supported ? "yes" : "no";
    row.dataset.feature = name;
    row.dataset.supported = String(supported);
  }
  table.replaceChildren(body);
  table.dataset.state = "ready";
  table.dataset.json = JSON.stringify(features);
}

async function showConfig() {
  const config = document.getElementById("config");
  try {
    const response = await fetch("/config");
    config.textContent = JSON.stringify(await response.json(), null, 2);
  } catch (error) {
    config.textContent = `could not load /config: ${error}`;
  }
}

await init();
showFeatures(detectFeatures());
await showConfig();
