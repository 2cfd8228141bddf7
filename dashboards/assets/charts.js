// Rendering shared by the live dashboard (app.js) and the self-contained report (report.js):
// DOM helpers and the campaign results section, drawn with Chart.js from the JSON of
// /api/campaigns/NAME/results.
'use strict';
const Emo = (() => {
  const palette = ['#3056d3', '#d35400', '#2e8b57', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d', '#b7950b', '#2c3e50', '#e84393'];
  const regimeColors = { surgical: '#2e8b57', repetitive_collapse: '#e0a526', explosive: '#c0392b', ineffective: '#9aa1ab', empty: '#5b4a8b' };

  // el('td', {class: 'num'}, 'text' | Node | [children])
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null) continue;
      if (key === 'style') node.style.cssText = value; else node.setAttribute(key, value);
    }
    for (const child of [].concat(children === undefined ? [] : children)) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined) return '–';
    if (typeof value !== 'number') return String(value);
    if (Number.isInteger(value)) return value.toLocaleString('en-US');
    return value.toFixed(digits === undefined ? 3 : digits);
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    if (seconds < 60) return seconds.toFixed(0) + ' s';
    if (seconds < 3600) return (seconds / 60).toFixed(1) + ' min';
    return (seconds / 3600).toFixed(1) + ' h';
  }
  function time(ms) { return ms ? new Date(ms).toLocaleString() : '–'; }

  // A table from rows of objects; columns: [[key, title, {num, format}]].
  function table(rows, columns) {
    const head = el('tr', {}, columns.map(([, title, opt]) => el('th', { class: opt && opt.num ? 'num' : null }, title)));
    const body = rows.map(row => el('tr', {}, columns.map(([key, , opt]) => {
      const value = typeof key === 'function' ? key(row) : row[key];
      const shown = opt && opt.format ? opt.format(value, row) : (value instanceof Node ? value : fmt(value));
      return el('td', { class: opt && opt.num ? 'num' : (opt && opt.cls) || null }, shown);
    })));
    return el('table', {}, [el('thead', {}, head), el('tbody', {}, body)]);
  }

  // A Chart.js chart in a fixed-height box. Animations off: live updates redraw in place.
  function chart(parent, config) {
    const box = el('div', { class: 'chart' });
    const canvas = el('canvas');
    box.append(canvas);
    parent.append(box);
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, font: { size: 11 } } } } }, config.options || {});
    return new Chart(canvas, config);
  }

  function modelName(results, id) {
    const model = results.models.find(m => m.id === id);
    return model ? model.name : 'model ' + id;
  }

  const curveMetrics = ['probe_accuracy', 'mean_cosine', 'separation_gap', 'separation_z', 'fisher_ratio', 'anisotropy'];

  // The results section: localization curves, peaks, method comparison, steering, samples.
  function renderResults(root, results) {
    root.replaceChildren();
    const charts = [];
    if (!results.models.length && !results.localization.length) {
      root.append(el('p', { class: 'muted' }, 'This campaign has no science results (yet).'));
      return charts;
    }
    root.append(el('h2', {}, 'Localization curves'));
    root.append(el('p', { class: 'muted' }, 'Each metric against relative depth r = layer / L (0: embeddings, 1: last block), one line per model and method.'));
    const grid = el('div', { class: 'grid' });
    root.append(grid);
    const metrics = curveMetrics.filter(metric => results.localization.some(p => p.metric === metric));
    for (const metric of metrics) {
      const groups = new Map();
      for (const point of results.localization) {
        if (point.metric !== metric || point.depth === null) continue;
        const key = modelName(results, point.model_id) + ' · ' + point.method;
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push({ x: point.depth, y: point.value });
      }
      const card = el('div', { class: 'card' }, el('h3', {}, metric));
      grid.append(card);
      charts.push(chart(card, {
        type: 'line',
        data: { datasets: [...groups].map(([label, data], index) => ({ label, data, borderColor: palette[index % palette.length], backgroundColor: palette[index % palette.length], pointRadius: 2, tension: 0.2 })) },
        options: { parsing: false, scales: { x: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'relative depth' } }, y: { title: { display: true, text: metric } } } },
      }));
    }
    if (results.peaks.length) {
      root.append(el('h3', {}, 'Peak layers (blocks 1..L; highest value, lowest for mean_cosine; ties to the shallower layer)'));
      root.append(table(results.peaks, [[r => modelName(results, r.model_id), 'model'], ['method', 'method'], ['metric', 'metric'],
        ['layer', 'layer', { num: true }], ['depth', 'r*', { num: true }], ['value', 'value', { num: true }]]));
    }

    if (results.method_comparison.length) {
      root.append(el('h2', {}, 'Method comparison'));
      root.append(el('p', { class: 'muted' }, 'emotion_separation per emotion at each model and method\'s peak layer by ' + (results.peak_metric || 'probe_accuracy') + ' (the campaign\'s peak metric).'));
      const emotions = [...new Set(results.method_comparison.map(r => r.emotion))];
      const groups = new Map();
      for (const row of results.method_comparison) {
        const key = modelName(results, row.model_id) + ' · ' + row.method + ' (layer ' + row.layer + ')';
        if (!groups.has(key)) groups.set(key, new Map());
        groups.get(key).set(row.emotion, row.value);
      }
      const card = el('div', { class: 'card' });
      root.append(card);
      charts.push(chart(card, {
        type: 'bar',
        data: { labels: emotions, datasets: [...groups].map(([label, values], index) => ({ label, data: emotions.map(e => values.has(e) ? values.get(e) : null), backgroundColor: palette[index % palette.length] })) },
        options: { scales: { y: { title: { display: true, text: 'emotion_separation' } } } },
      }));
    }

    if (results.regimes.length || results.steering.length) {
      root.append(el('h2', {}, 'Steering regimes'));
      // One card per (model, vector estimator): estimators are compared, never pooled.
      const groups = [];
      for (const r of results.regimes.concat(results.steering)) {
        if (!groups.some(([m, e]) => m === r.model_id && e === r.estimator)) groups.push([r.model_id, r.estimator]);
      }
      const several = new Set(groups.map(([, e]) => e)).size > 1;
      for (const [modelId, estimator] of groups) {
        const regimes = results.regimes.filter(r => r.model_id === modelId && r.estimator === estimator);
        const layers = [...new Set(regimes.map(r => r.layer))].sort((a, b) => a - b);
        const alphas = [...new Set(regimes.map(r => r.alpha))].sort((a, b) => a - b);
        const card = el('div', { class: 'card' }, el('h3', {}, modelName(results, modelId) + (several ? ' (' + estimator + ' vectors)' : '') + ': surgical share of steered generations, layer × coefficient'));
        root.append(card);
        const cell = (layer, alpha) => {
          const here = regimes.filter(r => r.layer === layer && r.alpha === alpha);
          const total = here.reduce((sum, r) => sum + r.generations, 0);
          if (!total) return el('td', {}, '–');
          const shares = {};
          for (const r of here) shares[r.regime] = r.generations / total;
          const surgical = shares.surgical || 0;
          const top = Object.entries(shares).sort((a, b) => b[1] - a[1])[0][0];
          const title = Object.entries(shares).map(([k, v]) => k + ' ' + (100 * v).toFixed(0) + '%').join(', ');
          return el('td', { title, style: 'background:' + `rgba(46,139,87,${0.1 + 0.8 * surgical})` + (surgical > 0.55 ? ';color:#fff' : '') },
            [(100 * surgical).toFixed(0) + '%', el('br'), el('span', { style: 'font-size:10px' }, top.replace('_', ' '))]);
        };
        card.append(el('table', { class: 'heatmap' }, [
          el('thead', {}, el('tr', {}, [el('th', {}, 'layer \\ α')].concat(alphas.map(a => el('th', {}, fmt(a, 2)))))),
          el('tbody', {}, layers.map(layer => el('tr', {}, [el('th', {}, String(layer))].concat(alphas.map(a => cell(layer, a)))))),
        ]));
        const keys = [];
        for (const layer of layers) for (const alpha of alphas) keys.push([layer, alpha]);
        const count = (layer, alpha, regime) => { const r = regimes.find(x => x.layer === layer && x.alpha === alpha && x.regime === regime); return r ? r.generations : 0; };
        charts.push(chart(card, {
          type: 'bar',
          data: { labels: keys.map(([l, a]) => 'L' + l + ' α' + a), datasets: Object.keys(regimeColors).map(regime => ({ label: regime, data: keys.map(([l, a]) => count(l, a, regime)), backgroundColor: regimeColors[regime] })) },
          options: { scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'generations' } } } },
        }));
        const scenarios = results.steering.filter(s => s.model_id === modelId && s.estimator === estimator);
        if (scenarios.length) {
          card.append(el('h3', {}, 'Scenario success rate (a scenario succeeds when enough of its generations are surgical)'));
          charts.push(chart(card, {
            type: 'bar',
            data: { labels: scenarios.map(s => 'L' + s.layer + ' α' + s.alpha), datasets: [
              { label: 'success rate', data: scenarios.map(s => s.scenarios ? s.successes / s.scenarios : 0), backgroundColor: '#2e8b57' },
              { label: 'hit rate', data: scenarios.map(s => s.hit_rate), backgroundColor: '#3056d3' }] },
            options: { scales: { y: { min: 0, max: 1 } } },
          }));
        }
        // The dose-response of each layer range: hit rate and surgical share against alpha (log
        // scale), the median ppl ratio on its own axis, the unsteered hit rate and the calibrated window.
        const doses = (results.dose_response || []).filter(d => d.model_id === modelId && d.estimator === estimator);
        const rangeKey = d => d.layer + '-' + d.layer_last + '-' + d.mode;
        for (const range of [...new Set(doses.map(rangeKey))]) {
          const rows = doses.filter(d => rangeKey(d) === range);
          const steered = rows.filter(d => d.alpha > 0);
          if (!steered.length) continue;
          const first = rows[0];
          const base = rows.find(d => d.alpha === 0);
          const low = steered[0].alpha, high = steered[steered.length - 1].alpha;
          const where = first.layer === first.layer_last ? 'layer ' + first.layer : 'layers ' + first.layer + '–' + first.layer_last;
          const windowKnown = first.window_high !== null && first.window_high !== undefined;
          card.append(el('h3', {}, 'Dose-response at ' + where + ' (' + first.mode + ' α)' +
            (windowKnown ? ', calibrated window ' + fmt(first.window_low, 3) + '–' + fmt(first.window_high, 3) + ' shaded' : '')));
          const points = (key, rowsOf) => rowsOf.filter(d => d[key] !== null).map(d => ({ x: d.alpha, y: d[key] }));
          const datasets = [
            { label: 'hit rate', data: points('hit_rate', steered), borderColor: '#3056d3', backgroundColor: '#3056d3', yAxisID: 'y' },
            { label: 'surgical share', data: points('surgical_share', steered), borderColor: '#2e8b57', backgroundColor: '#2e8b57', yAxisID: 'y' },
            { label: 'median ppl ratio', data: points('median_ppl_ratio', steered), borderColor: '#c0392b', backgroundColor: '#c0392b', borderDash: [5, 3], yAxisID: 'ppl' },
          ];
          if (base) datasets.push({ label: 'unsteered hit rate', data: [{ x: low, y: base.hit_rate }, { x: high, y: base.hit_rate }], borderColor: '#888', borderDash: [2, 2], pointRadius: 0, yAxisID: 'y' });
          if (windowKnown) datasets.push({ label: 'calibrated window', data: [{ x: first.window_low, y: 1 }, { x: first.window_high, y: 1 }], fill: 'origin', backgroundColor: 'rgba(230,160,0,0.15)', borderColor: 'rgba(230,160,0,0.5)', pointRadius: 0, yAxisID: 'y' });
          charts.push(chart(card, {
            type: 'line',
            data: { datasets },
            options: { parsing: false, scales: {
              x: { type: 'logarithmic', title: { display: true, text: 'α' } },
              y: { min: 0, max: 1, title: { display: true, text: 'share of generations' } },
              ppl: { type: 'logarithmic', position: 'right', title: { display: true, text: 'median ppl ratio' }, grid: { drawOnChartArea: false } } } },
          }));
        }
      }
    }

    if (results.samples.length) {
      root.append(el('h2', {}, 'Sample continuations per regime'));
      root.append(table(results.samples, [['regime', 'regime', { format: v => el('span', { class: 'state', style: 'background:' + (regimeColors[v] || '#eee') + ';color:#fff' }, v) }],
        [r => modelName(results, r.model_id), 'model'], ['layer', 'layer', { num: true }], ['emotion', 'target'], ['alpha', 'α', { num: true }],
        ['judged_emotion', 'judged'], ['ppl_ratio', 'ppl ratio', { num: true }], ['text', 'continuation', { cls: 'sample' }]]));
    }
    return charts;
  }

  return { el, fmt, duration, time, table, chart, renderResults, palette };
})();
