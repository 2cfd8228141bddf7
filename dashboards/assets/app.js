// The live dashboard: hash-routed pages that poll the JSON API every 2 s and redraw only what
// changed. Pages: #/campaigns, #/workers, #/results/NAME, #/sql.
'use strict';
const { el, fmt, duration, time, table, chart } = Emo;
const kRefreshMs = 2000;
let current = null;  // {name, refresh(), dispose()}

async function api(path, options) {
  const response = await fetch('api/' + path, options);
  const body = response.headers.get('Content-Type').startsWith('application/json') ? await response.json() : await response.text();
  if (!response.ok) throw new Error(body.error || ('HTTP ' + response.status));
  return body;
}

function setLive(ok) {
  const live = document.getElementById('live');
  live.textContent = ok ? 'live · ' + new Date().toLocaleTimeString() : 'connection lost';
  live.classList.toggle('stale', !ok);
}

// Redraws `render(data)` into `root` only when the JSON changed, destroying the old charts.
function changeTracker(root) {
  let last = null;
  let charts = [];
  return {
    update(data, render) {
      const text = JSON.stringify(data);
      if (text === last) return;
      last = text;
      charts.forEach(c => c.destroy());
      root.replaceChildren();
      charts = render(data) || [];
    },
    dispose() { charts.forEach(c => c.destroy()); },
  };
}

function progressBar(c) {
  const part = n => c.total ? (100 * n / c.total) + '%' : '0';
  return el('div', { class: 'bar', title: `${c.done} done, ${c.failed} failed, ${c.running} running, ${c.queued} queued, ${c.cancelled} cancelled` },
    [el('span', { class: 'done', style: 'width:' + part(c.done) }), el('span', { class: 'failed', style: 'width:' + part(c.failed) }),
     el('span', { class: 'running', style: 'width:' + part(c.running) }), el('span', { class: 'cancelled', style: 'width:' + part(c.cancelled) })]);
}

function campaignsPage(main) {
  const list = el('div', { class: 'card' });
  const detail = el('div');
  main.append(el('h1', {}, 'Campaigns'), list, detail);
  const listTracker = changeTracker(list);
  const detailTracker = changeTracker(detail);
  let selected = null;
  async function refresh() {
    const campaigns = await api('campaigns');
    if (!selected && campaigns.length) selected = campaigns[0].name;
    listTracker.update({ campaigns, selected }, () => {
      if (!campaigns.length) { list.append(el('p', { class: 'muted' }, 'No campaigns yet: emoscope submit FILE --db DB')); return; }
      list.append(table(campaigns, [
        ['name', 'campaign', { format: (v) => { const a = el('a', { href: '#/campaigns', 'data-campaign': v }, v); a.onclick = (e) => { e.preventDefault(); selected = v; refresh(); }; return v === selected ? el('b', {}, a) : a; } }],
        ['state', 'state', { format: v => el('span', { class: 'state ' + v }, v) }],
        [c => progressBar(c), 'progress'],
        [c => (c.total ? (100 * (c.done + c.failed + c.cancelled) / c.total).toFixed(1) : '100.0') + '%', 'finished', { num: true }],
        ['total', 'tasks', { num: true }], ['done', 'done', { num: true }], ['failed', 'failed', { num: true }],
        ['running', 'running', { num: true }], ['queued', 'queued', { num: true }],
        ['tasks_per_s', 'tasks/s', { num: true, format: v => fmt(v, 2) }], ['eta_s', 'ETA', { num: true, format: v => duration(v) }],
        [c => el('a', { href: '#/results/' + encodeURIComponent(c.name) }, 'results'), ''],
      ]));
    });
    if (!selected) return;
    const name = encodeURIComponent(selected);
    const [timeline, failures] = await Promise.all([api(`campaigns/${name}/timeline`), api(`campaigns/${name}/failures?limit=50`)]);
    detailTracker.update({ selected, timeline, failures }, () => {
      const charts = [];
      const card = el('div', { class: 'card' }, el('h2', {}, `${selected}: tasks finished per ${timeline.bucket_ms ? timeline.bucket_ms / 1000 + ' s' : 'bucket'}`));
      detail.append(card);
      const labels = timeline.points.map(p => { const d = new Date(p.t); return d.toLocaleTimeString() + (timeline.bucket_ms < 1000 ? '.' + String(d.getMilliseconds()).padStart(3, '0').slice(0, 1) : ''); });
      charts.push(chart(card, {
        type: 'bar',
        data: { labels, datasets: [
          { label: 'done', data: timeline.points.map(p => p.done), backgroundColor: '#2e8b57' },
          { label: 'failed', data: timeline.points.map(p => p.failed), backgroundColor: '#c0392b' }] },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'tasks' } } } },
      }));
      const failed = el('div', { class: 'card' }, el('h2', {}, `Failures (${failures.tasks.length} shown)`));
      detail.append(failed);
      if (!failures.tasks.length) { failed.append(el('p', { class: 'muted' }, 'No failed tasks.')); return charts; }
      failed.append(el('h3', {}, 'Errors, most frequent first'));
      failed.append(table(failures.errors, [['kind', 'kind'], ['tasks', 'tasks', { num: true }], ['error', 'error', { cls: 'error' }]]));
      failed.append(el('h3', {}, 'Latest failed tasks'));
      failed.append(el('div', { class: 'scroll' }, table(failures.tasks, [['task_id', 'task', { num: true }], ['kind', 'kind'], ['model', 'model'],
        ['attempts', 'attempts', { num: true }], ['worker', 'worker'], ['finished_at', 'finished', { format: time }], ['error', 'error', { cls: 'error' }]])));
      return charts;
    });
  }
  return { refresh, dispose() { listTracker.dispose(); detailTracker.dispose(); } };
}

function workersPage(main) {
  const card = el('div', { class: 'card' });
  main.append(el('h1', {}, 'Workers'), card);
  const tracker = changeTracker(card);
  async function refresh() {
    const workers = await api('workers');
    // silent_s changes every poll; round it so an idle page does not redraw for nothing.
    tracker.update(workers.map(w => Object.assign({}, w, { silent_s: w.silent_s === null ? null : Math.round(w.silent_s) })), (rows) => {
      if (!rows.length) { card.append(el('p', { class: 'muted' }, 'No worker has connected yet.')); return; }
      card.append(table(rows, [['identity', 'worker'], ['state', 'state', { format: v => el('span', { class: 'state ' + v }, v) }],
        ['host', 'host'], ['pid', 'pid', { num: true }], ['device', 'device'], ['slots', 'slots', { num: true }],
        [w => w.current_tasks.map(t => `#${t.task_id} ${t.kind}${t.model ? ' (' + t.model + ')' : ''}`).join(', ') || 'idle', 'current task'],
        [w => Array.isArray(w.loaded_models) ? w.loaded_models.join(', ') || '–' : w.loaded_models, 'models loaded'],
        ['last_heartbeat', 'last heartbeat', { format: time }], ['silent_s', 'silent', { num: true, format: v => duration(v) }]]));
    });
  }
  return { refresh, dispose() { tracker.dispose(); } };
}

function resultsPage(main, name) {
  const picker = el('select', { id: 'campaign-picker' });
  const body = el('div', { id: 'results' });
  main.append(el('h1', {}, ['Results ', picker]), body);
  picker.onchange = () => { location.hash = '#/results/' + encodeURIComponent(picker.value); };
  const tracker = changeTracker(body);
  async function refresh() {
    const campaigns = await api('campaigns');
    if (!name && campaigns.length) {
      // Prefer a campaign with science results: the one with a model.
      name = campaigns[0].name;
    }
    if (picker.options.length !== campaigns.length) {
      picker.replaceChildren(...campaigns.map(c => el('option', { value: c.name }, c.name)));
    }
    picker.value = name || '';
    if (!name) { body.textContent = 'No campaigns yet.'; return; }
    const results = await api(`campaigns/${encodeURIComponent(name)}/results`);
    tracker.update(results, (data) => Emo.renderResults(body, data));
  }
  return { refresh, dispose() { tracker.dispose(); } };
}

function sqlPage(main) {
  const input = el('textarea', { id: 'sql-input', spellcheck: 'false' });
  input.value = "SELECT c.name, t.state, count(*) AS tasks\nFROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id JOIN campaigns c ON c.id = ct.campaign_id\nGROUP BY c.name, t.state";
  const run = el('button', { id: 'sql-run' }, 'Run');
  const csv = el('a', { id: 'sql-csv', href: '#' }, 'Download CSV');
  const status = el('span', { id: 'sql-status', class: 'muted' });
  const out = el('div', { id: 'sql-result', class: 'scroll' });
  main.append(el('h1', {}, 'SQL console'),
    el('p', { class: 'muted' }, 'Read-only: SELECT, WITH and PRAGMAs that read. Results are cut off at the row limit, queries at the time limit.'),
    el('div', { class: 'card' }, [input, el('p', {}, [run, ' ', csv, ' ', status])]), el('div', { class: 'card' }, out));
  async function execute() {
    status.textContent = 'running…';
    status.className = 'muted';
    csv.href = 'api/sql?format=csv&q=' + encodeURIComponent(input.value);
    try {
      const result = await api('sql', { method: 'POST', body: JSON.stringify({ q: input.value }), headers: { 'Content-Type': 'application/json' } });
      const rows = result.rows.map(r => Object.fromEntries(result.columns.map((c, i) => [i, r[i]])));
      out.replaceChildren(table(rows, result.columns.map((c, i) => [i, c])));
      status.textContent = `${result.rows.length} rows${result.truncated ? ' (cut off at the row limit of ' + result.row_limit + ')' : ''} in ${result.elapsed_ms.toFixed(1)} ms`;
    } catch (error) {
      out.replaceChildren(el('p', { class: 'error', id: 'sql-error' }, error.message));
      status.textContent = 'refused or failed';
    }
  }
  run.onclick = execute;
  input.onkeydown = (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) execute(); };
  return { refresh: null, dispose() {} };
}

function route() {
  if (current) current.dispose();
  const main = document.getElementById('page');
  main.replaceChildren();
  const parts = (location.hash || '#/campaigns').slice(2).split('/');
  const page = parts[0] || 'campaigns';
  document.querySelectorAll('nav a').forEach(a => a.classList.toggle('active', a.dataset.page === page));
  if (page === 'workers') current = workersPage(main);
  else if (page === 'results') current = resultsPage(main, parts[1] ? decodeURIComponent(parts[1]) : null);
  else if (page === 'sql') current = sqlPage(main);
  else current = campaignsPage(main);
  tick();
}

async function tick() {
  if (!current || !current.refresh) return;
  try {
    await current.refresh();
    setLive(true);
  } catch (error) {
    setLive(false);
    console.warn('refresh failed: ' + error.message);
  }
}

window.addEventListener('hashchange', route);
setInterval(tick, kRefreshMs);
route();
