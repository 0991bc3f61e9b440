// The dashboard in Debian's headless Chromium, driven over the DevTools protocol by
// puppeteer-core, against a real gpopd (synthetic backend) that this test starts and restarts:
// opens the page, starts a backup from it and watches the progress bar move and the terminal
// state arrive, cancels a running operation from it, checks that hostile GPO names, comments
// and labels stay text, survives a gpopd restart (reconnecting…, then live, re-listed, nothing
// doubled), and takes screenshots.
//
// Usage: node browser_test.mjs GPOPD SCREENSHOT_DIR
import {spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, existsSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const [gpopd, shots] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const work = mkdtempSync(path.join(tmpdir(), 'gpop-browser-'));
let server = null, browser = null, failures = 0;

function check(ok, what) {
  if (ok) { console.log('ok   ' + what); return; }
  failures++;
  console.log('FAIL ' + what);
}

async function startGpopd(httpListen) {
  const portFile = path.join(work, 'http-port');
  rmSync(portFile, {force: true});
  const child = spawn(gpopd, ['--backend=synthetic', '--listen=127.0.0.1:0',
    '--http_listen=' + httpListen, '--http_port_file=' + portFile, '--heartbeat=2s',
    '--shutdown_grace=0s',
    // Its own operation store, kept across the restart below (never the default /var/lib/gpop).
    '--state_dir=' + path.join(work, 'state')], {stdio: ['ignore', 'ignore', 'pipe']});
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  // gpopd writes the port file once it listens; its exit before that is a failure.
  await new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (existsSync(portFile)) { clearInterval(poll); resolve(); }
    }, 20);
    child.once('exit', (code) => { clearInterval(poll); reject(new Error('gpopd exited ' + code + ': ' + log)); });
  });
  child.removeAllListeners('exit');
  const port = Number(readFileSync(portFile, 'utf8').trim());
  return {child, port, log: () => log};
}

async function stopGpopd(s) {
  const done = new Promise((resolve) => s.child.once('exit', resolve));
  s.child.kill('SIGTERM');
  return done;
}

async function api(port, method, p, body) {
  const init = {method, headers: {'Content-Type': 'application/json'}};
  if (body) init.body = JSON.stringify(body);
  const r = await fetch('http://127.0.0.1:' + port + p, init);
  const json = await r.json();
  if (!r.ok) throw new Error(method + ' ' + p + ': ' + JSON.stringify(json));
  return json;
}

const HOSTILE_NAME = '<img src=x onerror="window.__xss=1">Evil & "GPO"';
const HOSTILE_COMMENT = '</td><script>window.__xss=2</script>';
const HOSTILE_LABEL = '"><svg onload=window.__xss=3>';

async function text(page, selector) {
  return page.$eval(selector, (n) => n.textContent);
}

try {
  server = await startGpopd('127.0.0.1:0');
  const base = 'http://127.0.0.1:' + server.port;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: path.join(work, 'profile'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 800});
  const cspViolations = [];
  page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) cspViolations.push(m.text()); });
  page.on('dialog', async (d) => { failures++; console.log('FAIL a dialog opened: ' + d.message()); await d.dismiss(); });

  // A finished operation with hostile strings, made before the page opens (listed), and one
  // made after (watched).
  const hostile = await api(server.port, 'POST', '/v1/operations', {
    spec: {backup: {gpo: {displayName: HOSTILE_NAME}, location: 'evil', comment: HOSTILE_COMMENT}},
    labels: {'synthetic.steps': '1', 'synthetic.step_ms': '1', 'note': HOSTILE_LABEL}});

  await page.goto(base + '/', {waitUntil: 'load'});
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'live');
  check(true, 'the page opens and its watch stream is live');
  await page.waitForSelector(`tr[data-id="${hostile.id}"]`);
  const row = await text(page, `tr[data-id="${hostile.id}"]`);
  check(row.includes(HOSTILE_NAME) && row.includes('note=' + HOSTILE_LABEL),
      'hostile GPO names and labels are shown as text in the table');
  const watched = await api(server.port, 'POST', '/v1/operations', {
    spec: {backup: {gpo: {displayName: 'Watched GPO'}, location: 'watched'}},
    labels: {'synthetic.steps': '2', 'synthetic.step_ms': '50', team: 'blue'}});
  await page.waitForFunction((id) => {
    const r = document.querySelector(`tr[data-id="${id}"]`);
    return r && r.textContent.includes('SUCCEEDED');
  }, {timeout: 10000}, watched.id);
  check(true, 'an operation started elsewhere appears from the watch stream and reaches SUCCEEDED');

  // Filters: by label, by state.
  await page.type('#filter-label', 'team=blue');
  await page.$eval('#filter-label', (n) => n.dispatchEvent(new Event('change')));
  await page.waitForFunction((hid) => !document.querySelector(`tr[data-id="${hid}"]`), {}, hostile.id);
  check((await page.$$('#operations tbody tr')).length === 1, 'the label filter leaves only team=blue');
  await page.$eval('#filter-label', (n) => { n.value = ''; n.dispatchEvent(new Event('change')); });

  // The hostile operation's page: comment and name as text, no script ran.
  await page.goto(base + '/#/op/' + hostile.id);
  await page.waitForFunction(() => document.getElementById('op-state').textContent === 'SUCCEEDED');
  const fields = await text(page, '#op-fields');
  check(fields.includes(HOSTILE_COMMENT) && fields.includes(HOSTILE_NAME),
      'the operation page shows the hostile comment and name as text');

  // Start a backup from the GPO list; watch the progress bar move, then the terminal state.
  await page.goto(base + '/#/gpos');
  await page.waitForSelector('button.backup');
  await page.type('#backup-labels', 'synthetic.steps=10, synthetic.step_ms=150');
  await page.type('#backup-comment', 'from the dashboard');
  await page.click('button.backup');
  await page.waitForFunction(() => /^#\/op\/op-/.test(location.hash));
  const started = (await page.evaluate(() => location.hash)).slice('#/op/'.length);
  const seen = new Set();
  for (let i = 0; i < 200; i++) {
    const v = await page.$eval('#main .bar', (n) => n.getAttribute('aria-valuenow'));
    seen.add(v);
    if ((await text(page, '#op-state')) === 'SUCCEEDED') break;
    await new Promise((r) => setTimeout(r, 25));  // sampling what the page shows, not syncing
  }
  const middle = [...seen].filter((v) => Number(v) > 0 && Number(v) < 100);
  check(middle.length >= 2, 'the progress bar moved through ' + [...seen].join(',') + '%');
  await page.waitForFunction(() => document.getElementById('op-state').textContent === 'SUCCEEDED');
  await page.waitForSelector('#result dl');
  const result = await text(page, '#result');
  check(/Backup id\{[0-9A-F-]{36}\}/.test(result) && result.includes('EffectsAPPLIED'),
      'the terminal state shows the backup id and the effects');
  const seqs = await page.$$eval('#events tr', (rows) => rows.map((r) => Number(r.dataset.sequence)));
  check(seqs.length >= 3 && seqs.every((s, i) => s === i + 1), 'the event log is gap-free: ' + seqs);
  await page.screenshot({path: path.join(shots, 'dashboard-operation.png')});
  const op = await api(server.port, 'GET', '/v1/operations/' + started);
  check(op.spec.backup.comment === 'from the dashboard', 'the page started the backup with its comment');

  // Cancel a running operation from its page.
  await page.goto(base + '/#/gpos');
  await page.waitForSelector('button.backup');
  await page.type('#backup-labels', 'synthetic.steps=400, synthetic.step_ms=100');
  await page.click('button.backup');
  await page.waitForFunction(() => /^#\/op\/op-/.test(location.hash));
  await page.waitForFunction(() => document.getElementById('op-state').textContent === 'RUNNING');
  await page.click('#cancel');
  await page.waitForFunction(() => document.getElementById('op-state').textContent === 'CANCELLED', {timeout: 10000});
  check((await text(page, '#result')).includes('Effects'), 'a cancel from the page ends CANCELLED with its effects');

  // A report from the GPO list, opened in a sandboxed frame.
  await page.goto(base + '/#/gpos');
  await page.waitForSelector('button.report');
  await page.click('button.report');
  await page.waitForSelector('#report-frame', {timeout: 10000});
  check((await page.$eval('#report-frame', (n) => n.getAttribute('sandbox'))) === '',
      'the report opens in a sandboxed frame');

  // Restart gpopd under the page: reconnecting…, then live again, re-listed, nothing doubled.
  await api(server.port, 'POST', '/v1/operations', {
    spec: {backup: {gpo: {displayName: 'Finance Workstations'}, location: 'nightly'}},
    labels: {'synthetic.steps': '1000', 'synthetic.step_ms': '100', team: 'finance'}});
  await page.goto(base + '/#/');
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'live' &&
      document.querySelectorAll('#operations tbody tr').length === 6);
  await page.screenshot({path: path.join(shots, 'dashboard.png')});
  await stopGpopd(server);
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'reconnecting…', {timeout: 10000});
  check(true, 'the page shows reconnecting… while gpopd is down');
  server = await startGpopd('127.0.0.1:' + server.port);
  const after = await api(server.port, 'POST', '/v1/operations', {
    spec: {backup: {gpo: {displayName: 'After Restart'}, location: 'after'}},
    labels: {'synthetic.steps': '2', 'synthetic.step_ms': '50'}});
  await page.waitForFunction((id) => {
    const r = document.querySelector(`tr[data-id="${id}"]`);
    return r && r.textContent.includes('SUCCEEDED') &&
        document.getElementById('connection').textContent === 'live';
  }, {timeout: 15000}, after.id);
  const ids = await page.$$eval('#operations tbody tr', (rows) => rows.map((r) => r.dataset.id));
  const listed = (await api(server.port, 'GET', '/v1/operations')).operations.map((o) => o.id);
  check(ids.length === new Set(ids).size && ids.length === listed.length &&
      listed.every((id) => ids.includes(id)),
      'after a gpopd restart the table is live again and equals the listing, no row twice');

  await page.screenshot({path: path.join(shots, 'dashboard-after-restart.png')});

  check(await page.evaluate(() => window.__xss === undefined), 'no hostile script ran');
  check(cspViolations.length === 0, 'no Content-Security-Policy violation: ' + cspViolations.join(' | '));
} catch (e) {
  failures++;
  console.log('FAIL ' + (e && e.stack || e));
  if (server) console.log(server.log());
} finally {
  if (browser) await browser.close();
  if (server && server.child.exitCode === null) await stopGpopd(server);
  rmSync(work, {recursive: true, force: true});
}
console.log(failures === 0 ? 'dashboard browser test: passed' : failures + ' failure(s)');
process.exit(failures === 0 ? 0 : 1);
