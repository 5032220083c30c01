// The web view's page: plain HTML, CSS and JavaScript, no framework and no build step, kept here
// as text so that the emulator's bundle and the npm package carry it with the code. The script
// writes every value with textContent (a command or its output is never markup).

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sandbox-emulator</title>
<link rel="stylesheet" href="app.css">
<link rel="icon" href="data:,">
<script src="app.js" defer></script>
</head>
<body>
<header>
  <h1>sandbox-emulator</h1>
  <span id="connection" class="off">connecting…</span>
  <span id="in-force"></span>
</header>
<main>
  <section id="sandboxes-pane">
    <h2>Sandboxes and processes</h2>
    <form id="start-form">
      <select id="start-provider" aria-label="provider"></select>
      <input id="start-sandbox" aria-label="sandbox" placeholder="sandbox" required>
      <input id="start-command" aria-label="command" placeholder="command, e.g. echo hello" required>
      <button type="submit">Start</button>
      <span id="start-result"></span>
    </form>
    <div id="sandboxes"><p class="empty">No sandbox yet. Start a process through a provider's API, or above.</p></div>
  </section>
  <section id="output-pane">
    <h2>Output <span id="output-title"></span></h2>
    <pre id="output" aria-live="polite"></pre>
    <form id="stdin-form">
      <input id="stdin-text" aria-label="stdin" placeholder="a line for the selected process's stdin">
      <button type="submit">Send</button>
      <span id="stdin-result"></span>
    </form>
  </section>
  <section id="requests-pane">
    <h2>Requests</h2>
    <table><thead><tr><th>time</th><th>method</th><th>path</th><th>status</th><th>ms</th></tr></thead><tbody id="requests"></tbody></table>
  </section>
</main>
</body>
</html>
`;

export const PAGE_CSS = `
body { font: 14px system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header { display: flex; gap: 1em; align-items: baseline; padding: .6em 1em; background: #222; color: #eee; }
header h1 { font-size: 1.1em; margin: 0; }
#connection.on { color: #7fd97f; } #connection.off { color: #f0a05a; }
#in-force { color: #bbb; }
main { display: grid; grid-template-columns: minmax(24em, 1fr) minmax(24em, 1fr); grid-template-rows: auto auto; gap: 1em; padding: 1em; }
#requests-pane { grid-column: 1 / span 2; }
h2 { font-size: 1em; margin: .2em 0 .6em; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .25em .5em; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
td.command { font-family: ui-monospace, monospace; word-break: break-all; }
tr.process { cursor: pointer; } tr.process.selected { background: #e8f0fe; }
.status-running { color: #0a7d28; } .status-killed, .status-signalled { color: #b3261e; } .status-stopped { color: #8a5a00; }
.provider { margin-bottom: 1em; } .sandbox h3 { font-size: .95em; margin: .6em 0 .3em; }
#output { background: #111; color: #ddd; min-height: 16em; max-height: 60vh; overflow: auto; padding: .6em; white-space: pre-wrap; word-break: break-all; }
#output .stderr { color: #ff8a80; } #output .note { color: #888; font-style: italic; }
form { display: flex; gap: .4em; margin: .4em 0; flex-wrap: wrap; }
input { flex: 1; min-width: 8em; } .empty { color: #777; }
.bad { color: #b3261e; }
`;

export const PAGE_SCRIPT = String.raw`
'use strict';
// Output kept in the page per selected process: older text goes first, so a process that prints
// gigabytes costs the tab no more than this.
const TAIL_CHARS = 200000;
const REQUESTS_SHOWN = 200;

const state = { providers: new Map(), selected: null, selectedProcess: null, output: null, dropped: 0, requests: [] };
const $ = (id) => document.getElementById(id);
const el = (tag, props, ...children) => {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children) node.append(child);
  return node;
};
const key = (p) => p.provider + '/' + p.sandbox + '/' + p.handle;
const time = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '');

function sandboxesOf(provider) {
  if (!state.providers.has(provider)) state.providers.set(provider, new Map());
  return state.providers.get(provider);
}
function processesOf(provider, sandbox) {
  const sandboxes = sandboxesOf(provider);
  if (!sandboxes.has(sandbox)) sandboxes.set(sandbox, new Map());
  return sandboxes.get(sandbox);
}

function render() {
  const root = $('sandboxes');
  root.replaceChildren();
  let any = false;
  for (const [provider, sandboxes] of state.providers) {
    if (sandboxes.size === 0) continue;
    any = true;
    const block = el('div', { className: 'provider' }, el('h2', { textContent: provider }));
    for (const [sandbox, processes] of sandboxes) {
      const rows = el('tbody');
      for (const p of [...processes.values()].sort((a, b) => b.startedAt - a.startedAt)) rows.append(row(p));
      const table = el('table', {}, el('thead', {}, el('tr', {}, ...['command', 'status', 'exit', 'started', 'ended', ''].map((h) => el('th', { textContent: h })))), rows);
      block.append(el('div', { className: 'sandbox' }, el('h3', { textContent: sandbox }), processes.size ? table : el('p', { className: 'empty', textContent: 'no process' })));
    }
    root.append(block);
  }
  if (!any) root.append(el('p', { className: 'empty', textContent: 'No sandbox yet. Start a process through a provider\u2019s API, or above.' }));
}

function row(p) {
  const exit = p.signal ? p.signal : p.exitCode === null ? '' : String(p.exitCode);
  const kill = el('button', { className: 'kill', textContent: 'kill', disabled: p.status !== 'running' });
  kill.addEventListener('click', (event) => {
    event.stopPropagation();
    post('kill', { provider: p.provider, sandbox: p.sandbox, process: p.handle });
  });
  const tr = el('tr', { className: 'process' + (state.selected === key(p) ? ' selected' : '') },
    el('td', { className: 'command', textContent: p.command }),
    el('td', { className: 'status status-' + p.status, textContent: p.status }),
    el('td', { className: 'exit', textContent: exit }),
    el('td', { textContent: time(p.startedAt) }),
    el('td', { textContent: time(p.endedAt) }),
    el('td', {}, kill));
  tr.dataset.process = key(p);
  tr.addEventListener('click', () => select(p));
  return tr;
}

function select(p) {
  state.selected = key(p);
  state.selectedProcess = p;
  if (state.output) state.output.close();
  state.dropped = 0;
  $('output').replaceChildren();
  $('output-title').textContent = p.command + ' (' + p.provider + ', ' + p.sandbox + ')';
  const query = new URLSearchParams({ provider: p.provider, sandbox: p.sandbox, process: String(p.handle) });
  const source = new EventSource('api/output?' + query);
  state.output = source;
  source.addEventListener('output', (event) => append(JSON.parse(event.data)));
  source.addEventListener('end', (event) => {
    const view = JSON.parse(event.data);
    note('ended: ' + view.status + (view.signal ? ' (' + view.signal + ')' : view.exitCode !== null ? ' (exit ' + view.exitCode + ')' : ''));
    source.close();
  });
  render();
}

function append(chunk) {
  const out = $('output');
  out.append(el('span', { className: chunk.stream, textContent: chunk.text }));
  // The tail stays bounded: the oldest pieces go, and the page says how much.
  let size = out.textContent.length;
  while (size > TAIL_CHARS && out.firstChild) {
    size -= out.firstChild.textContent.length;
    state.dropped += out.firstChild.textContent.length;
    out.firstChild.remove();
  }
  if (state.dropped && !(out.firstChild && out.firstChild.classList.contains('note'))) out.prepend(el('span', { className: 'note', textContent: '(' + state.dropped + ' earlier characters not shown)\n' }));
  else if (state.dropped) out.firstChild.textContent = '(' + state.dropped + ' earlier characters not shown)\n';
  out.scrollTop = out.scrollHeight;
}

function note(text) {
  $('output').append(el('span', { className: 'note', textContent: '\n' + text + '\n' }));
}

function addRequest(entry) {
  state.requests.unshift(entry);
  state.requests.length = Math.min(state.requests.length, REQUESTS_SHOWN);
  const body = $('requests');
  const tr = el('tr', {}, el('td', { textContent: time(entry.time) }), el('td', { textContent: entry.method }), el('td', { className: 'command', textContent: entry.path }),
    el('td', { className: Number(entry.status) >= 400 || entry.status === 'reset' ? 'bad' : '', textContent: String(entry.status) }), el('td', { textContent: String(entry.ms) }));
  body.prepend(tr);
  while (body.children.length > REQUESTS_SHOWN) body.lastChild.remove();
}

async function post(action, body, result) {
  try {
    const response = await fetch('api/' + action, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await response.json();
    if (result) result.textContent = response.ok ? 'ok' : (answer.error || JSON.stringify(answer.answer || answer));
    if (result) result.className = response.ok ? '' : 'bad';
  } catch (error) {
    if (result) {
      result.textContent = String(error);
      result.className = 'bad';
    }
  }
}

async function start() {
  const snapshot = await (await fetch('api/state')).json();
  const inForce = snapshot.inForce;
  $('in-force').textContent = 'fidelity ' + inForce.fidelity + (inForce.quirks.length ? ', quirks: ' + inForce.quirks.join(', ') : ', no quirk') + (inForce.faults.length ? ', faults: ' + inForce.faults.map((f) => JSON.stringify(f)).join(' ') : ', no fault');
  for (const provider of snapshot.providers) {
    $('start-provider').append(el('option', { value: provider.name, textContent: provider.name }));
    sandboxesOf(provider.name);
    for (const sandbox of provider.sandboxes) {
      const processes = processesOf(provider.name, sandbox.id);
      for (const p of sandbox.processes) processes.set(key(p), p);
    }
  }
  for (const entry of snapshot.requests) addRequest(entry);
  render();

  const events = new EventSource('api/events');
  events.addEventListener('open', () => {
    $('connection').textContent = 'live';
    $('connection').className = 'on';
  });
  events.addEventListener('error', () => {
    $('connection').textContent = 'reconnecting…';
    $('connection').className = 'off';
  });
  events.addEventListener('sandbox', (event) => {
    const s = JSON.parse(event.data);
    processesOf(s.provider, s.id);
    render();
  });
  events.addEventListener('sandbox-deleted', (event) => {
    const s = JSON.parse(event.data);
    sandboxesOf(s.provider).delete(s.id);
    render();
  });
  events.addEventListener('process', (event) => {
    const p = JSON.parse(event.data);
    processesOf(p.provider, p.sandbox).set(key(p), p);
    render();
  });
  events.addEventListener('request', (event) => addRequest(JSON.parse(event.data)));

  $('start-form').addEventListener('submit', (event) => {
    event.preventDefault();
    post('start', { provider: $('start-provider').value, sandbox: $('start-sandbox').value, command: $('start-command').value }, $('start-result'));
  });
  $('stdin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const p = state.selectedProcess;
    if (!p) return;
    post('stdin', { provider: p.provider, sandbox: p.sandbox, process: p.handle, text: $('stdin-text').value + '\n' }, $('stdin-result'));
    $('stdin-text').value = '';
  });
}

start();
`;
