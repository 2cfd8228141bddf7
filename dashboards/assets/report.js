// The self-contained report: draws the inlined campaign data (no server, no network).
'use strict';
(() => {
  const { el, fmt, duration, time, table, chart } = Emo;
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const root = document.getElementById('report');
  const m = data.manifest;
  const s = data.status || {};
  root.append(el('h1', {}, 'Campaign ' + m.name));
  root.append(el('p', { class: 'muted' }, `Report generated ${time(m.generated_at)} · schema version ${m.schema_version}`));

  root.append(el('h2', {}, 'Summary'));
  root.append(table([s], [['total', 'tasks', { num: true }], ['done', 'done', { num: true }], ['failed', 'failed', { num: true }],
    ['cancelled', 'cancelled', { num: true }], ['first_started_at', 'started', { format: time }], ['last_finished_at', 'finished', { format: time }],
    ['tasks_per_s', 'tasks/s', { num: true, format: v => fmt(v, 2) }]]));
  if (data.timeline.points.length) {
    const card = el('div', { class: 'card' }, el('h3', {}, 'Tasks finished per ' + data.timeline.bucket_ms / 1000 + ' s'));
    root.append(card);
    chart(card, { type: 'line', data: { labels: data.timeline.points.map(p => new Date(p.t).toLocaleTimeString()), datasets: [
      { label: 'done', data: data.timeline.points.map(p => p.done), borderColor: '#2e8b57', pointRadius: 1 },
      { label: 'failed', data: data.timeline.points.map(p => p.failed), borderColor: '#c0392b', pointRadius: 1 }] } });
  }

  root.append(el('h2', {}, 'Analysis'));
  const results = el('div');
  root.append(results);
  Emo.renderResults(results, data.results);

  if (data.failures.tasks.length) {
    root.append(el('h2', {}, 'Failures'));
    root.append(table(data.failures.errors, [['kind', 'kind'], ['tasks', 'tasks', { num: true }], ['error', 'error', { cls: 'error' }]]));
  }

  root.append(el('h2', {}, 'Manifest'));
  root.append(table([m], [['name', 'campaign'], ['spec_hash', 'spec sha256'], ['created_at', 'created', { format: time }], ['state', 'state']]));
  root.append(el('h3', {}, 'Models'));
  root.append(table(m.models, [['path', 'path'], ['architecture', 'architecture'], ['layers', 'layers', { num: true }],
    ['parameters', 'parameters', { num: true }], ['checksum', 'weights sha256']]));
  root.append(el('h3', {}, 'Code and runtime (task_runs)'));
  root.append(m.runs.length ? table(m.runs, [['code_version', 'code version'], ['device', 'device'], ['dtype', 'dtype'], ['libraries', 'libraries'],
    ['tasks', 'tasks', { num: true }], ['elapsed_ms', 'compute', { num: true, format: v => duration(v / 1000) }]]) : el('p', { class: 'muted' }, 'No science task has run.'));
  root.append(el('h3', {}, 'Tasks by kind'));
  root.append(table(m.tasks_by_kind, [['kind', 'kind'], ['state', 'state'], ['tasks', 'tasks', { num: true }]]));
  root.append(el('h3', {}, 'Campaign file'));
  root.append(el('pre', { class: 'spec' }, m.spec_text));
})();
