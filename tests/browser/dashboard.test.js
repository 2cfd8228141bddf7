// Drives the dashboard in headless chromium: every page loads without console errors, charts
// draw (non-blank canvases), the SQL console returns rows and refuses a write, the report opens
// offline. Usage: node dashboard.test.js URL ARTIFACTS_DIR CHROMIUM
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

const [url, artifacts, executablePath] = process.argv.slice(2);
const failures = [];
function check(condition, message) {
  console.log((condition ? 'ok   ' : 'FAIL ') + message);
  if (!condition) failures.push(message);
}

// Canvases on the page that have at least one painted pixel.
async function paintedCanvases(page) {
  return page.evaluate(() => [...document.querySelectorAll('canvas')].filter(canvas => {
    if (!canvas.width || !canvas.height) return false;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
    return false;
  }).length);
}

(async () => {
  const browser = await chromium.launch({
    executablePath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const errors = [];
    page.on('console', message => { if (message.type() === 'error') errors.push(message.text()); });
    page.on('pageerror', error => errors.push(error.message));
    const visit = async (hash, name, ready) => {
      errors.length = 0;
      await page.goto(url.replace(/\/?(\?.*)?$/, '/$1') + hash);
      await page.waitForSelector(ready, { timeout: 10000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(artifacts, name + '.png'), fullPage: true });
      check(errors.length === 0, `${name}: no console errors ${errors.length ? JSON.stringify(errors) : ''}`);
    };

    await visit('#/campaigns', 'campaigns', 'main table tbody tr');
    const campaignRows = await page.locator('main table').first().locator('tbody tr').count();
    check(campaignRows === 2, `campaigns: both campaigns listed (${campaignRows})`);
    await page.click('a[data-campaign="smoke"]');
    await page.waitForSelector('td.error', { timeout: 10000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(artifacts, 'campaign-failures.png'), fullPage: true });
    check(await paintedCanvases(page) >= 1, 'campaigns: the task-rate chart draws');
    check((await page.textContent('main')).includes('failing on purpose'), 'campaigns: failures show their error');

    await visit('#/workers', 'workers', 'main table tbody tr');
    check(await page.locator('main table tbody tr').count() >= 2, 'workers: listed');

    await visit('#/results/science-demo', 'results', '#results canvas');
    const canvases = await page.locator('#results canvas').count();
    const painted = await paintedCanvases(page);
    check(canvases >= 6 && painted === canvases, `results: every chart draws (${painted} of ${canvases})`);
    check(await page.locator('table.heatmap td').count() > 0, 'results: the layer x coefficient heatmap has cells');
    check((await page.textContent('#results')).includes('surgical'), 'results: sample continuations per regime');
    check((await page.textContent('#results')).includes('calibrated window 1–4 shaded'),
          'results: the dose-response marks the calibrated window');

    await visit('#/sql', 'sql', '#sql-input');
    await page.fill('#sql-input', 'SELECT kind, state, count(*) AS n FROM tasks GROUP BY kind, state');
    await page.click('#sql-run');
    await page.waitForSelector('#sql-result table tbody tr', { timeout: 10000 });
    check(await page.locator('#sql-result table tbody tr').count() > 0, 'sql: a query returns rows');
    await page.screenshot({ path: path.join(artifacts, 'sql-rows.png'), fullPage: true });
    const csv = await page.evaluate(async () => (await fetch(document.getElementById('sql-csv').href)).text());
    check(csv.startsWith('kind,state,n'), 'sql: the CSV download has the header row');
    await page.fill('#sql-input', "DELETE FROM tasks WHERE kind = 'noop'");
    await page.click('#sql-run');
    await page.waitForSelector('#sql-error', { timeout: 10000 });
    check((await page.textContent('#sql-error')).includes('not allowed'), 'sql: a write is refused');
    await page.screenshot({ path: path.join(artifacts, 'sql-refused.png'), fullPage: true });
    await page.fill('#sql-input', "SELECT count(*) FROM tasks WHERE kind = 'noop'");
    await page.click('#sql-run');
    // (waitForFunction would evaluate a string, which the dashboard's Content-Security-Policy forbids.)
    await page.locator('#sql-result td', { hasText: /^300$/ }).first().waitFor({ timeout: 10000 });
    check(true, 'sql: the refused write changed nothing');

    // The report: a file, opened with every network request blocked.
    const report = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const reportErrors = [];
    report.on('console', message => { if (message.type() === 'error') reportErrors.push(message.text()); });
    report.on('pageerror', error => reportErrors.push(error.message));
    await report.route('**/*', route => route.request().url().startsWith('file:') ? route.continue() : route.abort());
    await report.goto('file://' + path.resolve(artifacts, 'report.html'));
    await report.waitForSelector('#report canvas', { timeout: 10000 });
    await report.waitForTimeout(300);
    await report.screenshot({ path: path.join(artifacts, 'report.png'), fullPage: true });
    const reportPainted = await paintedCanvases(report);
    check(reportPainted >= 6, `report: charts draw offline (${reportPainted})`);
    check(reportErrors.length === 0, `report: no console errors ${reportErrors.length ? JSON.stringify(reportErrors) : ''}`);
  } finally {
    await browser.close();
  }
  if (failures.length) {
    console.error(`${failures.length} check(s) failed; screenshots in ${artifacts}`);
    process.exit(1);
  }
  console.log(`all checks passed; screenshots in ${artifacts}`);
})().catch(error => { console.error(error); process.exit(1); });
