// The API reference page, rendered from the OpenAPI document; a file of its own because the CSP allows no inline script.
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
$('#f').addEventListener('submit', (e) => { e.preventDefault(); load(); });
async function load() {
  const token = $('#token').value.trim();
  $('#err').textContent = '';
  // Signed in to the web app: the session cookie is enough. A token (never stored) for the rest.
  const res = await fetch('/api/openapi.json', { headers: token ? { authorization: 'Bearer ' + token } : {} });
  if (!res.ok) { $('#err').textContent = (await res.json()).error.message; return; }
  render(await res.json());
}
function render(doc) {
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) (byTag[op.tags[0]] ??= []).push({ path, method, op });
  let html = `<p>${esc(doc.info.description)}</p><p class="muted">Version ${esc(doc.info.version)}</p>`;
  for (const [tag, ops] of Object.entries(byTag)) {
    html += `<h2>${esc(tag)}</h2>`;
    for (const { path, method, op } of ops) {
      const params = (op.parameters || []).map((p) => `<li><code>${esc(p.name)}</code> (${p.in}${p.required ? ', required' : ''}) <code>${esc(JSON.stringify(p.schema))}</code></li>`).join('');
      const body = op.requestBody ? `<p><b>Body</b></p><pre>${esc(JSON.stringify(Object.values(op.requestBody.content)[0].schema, null, 2))}</pre>` : '';
      const ok = Object.entries(op.responses).find(([s]) => s !== 'default');
      html += `<details class="op"><summary><span class="m ${method}">${method.toUpperCase()}</span><code>${esc(path)}</code><span>${esc(op.summary)}</span></summary>
        <div class="body"><p class="muted">${esc(op.description)}</p>${params ? `<p><b>Parameters</b></p><ul>${params}</ul>` : ''}${body}
        <p><b>Response</b> ${esc(ok[0])}: ${esc(ok[1].description)}</p></div></details>`;
    }
  }
  html += `<h2>Schemas</h2><pre>${esc(JSON.stringify(doc.components.schemas, null, 2))}</pre>`;
  $('#out').innerHTML = html;
}
load();
