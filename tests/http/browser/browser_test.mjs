// The dashboard in Debian's headless Chromium, driven over the DevTools protocol by
// puppeteer-core, against a real gpopd (synthetic backend) that this test starts and restarts:
// opens the page, starts a backup from it and watches the progress bar move and the terminal
// state arrive, cancels a running operation from it, checks that hostile GPO names, comments
// and labels stay text, survives a gpopd restart (reconnecting…, then live, re-listed, nothing
// doubled), and takes screenshots.
//
// gpopd runs with bearer tokens (an admin and a viewer): the page asks for a token and signs in
// for an HttpOnly session cookie; the viewer sees no Cancel button and a forced cancel is refused
// (PERMISSION_DENIED on the page); a proxy between page and gpopd is cut under a running
// operation (reconnecting…, then the right state); and what the page shows of an operation is
// compared with gRPC StreamStatus of the same operation (gpopctl watch -o json): the same
// events in the same order and the same terminal state. No token appears in gpopd's log.
//
// Usage: node browser_test.mjs GPOPD GPOPCTL SCREENSHOT_DIR
import {spawn, spawnSync} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const [gpopd, gpopctl, shots] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const work = mkdtempSync(path.join(tmpdir(), 'gpop-browser-'));
let server = null, browser = null, proxy = null, failures = 0;
let step = 'start';  // what the test was doing, for a failure's message
const pages = [];  // every page, whose text a failure prints
const ADMIN_TOKEN = 'adm-' + randomBytes(16).toString('hex');
const VIEWER_TOKEN = 'vwr-' + randomBytes(16).toString('hex');
const sha256 = (t) => createHash('sha256').update(t).digest('hex');
writeFileSync(path.join(work, 'tokens'),
    `ada sha256:${sha256(ADMIN_TOKEN)} never\nvera sha256:${sha256(VIEWER_TOKEN)} never\n`);
writeFileSync(path.join(work, 'policy'), 'grant ada admin\ngrant vera viewer\n');

function check(ok, what) {
  if (ok) { console.log('ok   ' + what); return; }
  failures++;
  console.log('FAIL ' + what);
}

async function startGpopd(httpListen) {
  const portFile = path.join(work, 'http-port');
  const grpcPortFile = path.join(work, 'grpc-port');
  // Both files go first and both are awaited: gpopd writes the HTTP port file before the gRPC
  // one, so waiting for the first alone read a missing or (after a restart) stale gRPC port.
  rmSync(portFile, {force: true});
  rmSync(grpcPortFile, {force: true});
  const child = spawn(gpopd, ['--backend=synthetic', '--listen=127.0.0.1:0',
    '--port_file=' + grpcPortFile,
    '--http_listen=' + httpListen, '--http_port_file=' + portFile, '--heartbeat=2s',
    '--shutdown_grace=0s', '--tokens_file=' + path.join(work, 'tokens'),
    '--auth_policy=' + path.join(work, 'policy'),
    // Its own operation store, kept across the restart below (never the default /var/lib/gpop).
    '--state_dir=' + path.join(work, 'state')], {stdio: ['ignore', 'ignore', 'pipe']});
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  // gpopd writes the port files once it listens; its exit before that is a failure.
  await new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (existsSync(portFile) && existsSync(grpcPortFile)) { clearInterval(poll); resolve(); }
    }, 20);
    child.once('exit', (code) => { clearInterval(poll); reject(new Error('gpopd exited ' + code + ': ' + log)); });
  });
  child.removeAllListeners('exit');
  const port = Number(readFileSync(portFile, 'utf8').trim());
  const grpcPort = Number(readFileSync(grpcPortFile, 'utf8').trim());
  return {child, port, grpcPort, log: () => log};
}

// A TCP proxy between the page and gpopd that can be cut: every connection dropped and new
// ones refused until it is resumed on the same port.
async function startProxy(target) {
  const sockets = new Set();
  let listener = null, port = 0;
  const listen = () => new Promise((resolve) => {
    listener = net.createServer((client) => {
      const upstream = net.connect(target(), '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    listener.listen(port, '127.0.0.1', () => { port = listener.address().port; resolve(); });
  });
  await listen();
  return {
    port: () => port,
    cut: () => new Promise((resolve) => {
      listener.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
    resume: listen,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); listener.close(() => resolve()); }),
  };
}

// gRPC StreamStatus of one operation from its start to its end, as gpopctl prints it.
// (Its exit status follows the operation's outcome, so only its output is judged.)
function grpcEvents(id) {
  const run = spawnSync(gpopctl, ['--server=127.0.0.1:' + server.grpcPort, '--output=json', 'watch', id],
      {encoding: 'utf8', env: {...process.env, GPOP_TOKEN: ADMIN_TOKEN}, timeout: 60000});
  if (run.error || !run.stdout) throw new Error('gpopctl watch ' + id + ': ' + (run.error || run.stderr));
  return run.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
      .filter((u) => u.event).map((u) => u.event);
}

// What the operation page shows in its event log: sequence and state of every row.
async function pageEvents(page) {
  return page.$$eval('#events tr', (rows) => rows.map((r) => ({
    sequence: Number(r.dataset.sequence), state: r.children[2].textContent,
    hresult: r.children[3].textContent, messages: r.children[4].firstChild.children.length})));
}

function sameEvents(shown, grpc) {
  const hex = (n) => n === undefined ? '' : '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const want = grpc.map((e) => ({sequence: Number(e.sequence), state: e.state || '', hresult: hex(e.hresult),
    messages: (e.messages || []).length}));
  const same = JSON.stringify(shown) === JSON.stringify(want);
  if (!same) console.log('  page: ' + JSON.stringify(shown) + '\n  gRPC: ' + JSON.stringify(want));
  return same;
}

// Waits until fn is true in page, evaluating it from here (CDP evaluates at once) rather than
// with a poller inside the page: a second browser context's page may get no timers or frames
// while the machine is loaded, and its in-page poller then never runs (seen under ctest -j).
async function pollFromNode(page, fn, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(fn)) return;
    if (Date.now() > end) throw new Error('timed out waiting for ' + fn);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function signIn(page, token) {
  await page.waitForSelector('#token');
  await page.type('#token', token);
  await page.click('#sign-in-button');
}

const previousLogs = [];  // the logs of stopped gpopds, searched for tokens at the end
async function stopGpopd(s) {
  const done = new Promise((resolve) => s.child.once('exit', () => { previousLogs.push(s.log()); resolve(); }));
  s.child.kill('SIGTERM');
  return done;
}

async function api(port, method, p, body) {
  const init = {method, headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + ADMIN_TOKEN}};
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
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // Pages of other contexts count as background windows: without these, Chromium
      // throttles their timers (waitForFunction's polling among them) on a loaded machine.
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows'],
  });
  const page = await browser.newPage();
  pages.push(page);
  await page.setViewport({width: 1280, height: 800});
  const cspViolations = [];
  page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) cspViolations.push(m.text()); });
  page.on('dialog', async (d) => { failures++; console.log('FAIL a dialog opened: ' + d.message()); await d.dismiss(); });

  // A finished operation with hostile strings, made before the page opens (listed), and one
  // made after (watched).
  const hostile = await api(server.port, 'POST', '/v1/operations', {
    spec: {backup: {gpo: {displayName: HOSTILE_NAME}, location: 'evil', comment: HOSTILE_COMMENT}},
    labels: {'synthetic.steps': '1', 'synthetic.step_ms': '1', 'note': HOSTILE_LABEL}});

  // The page asks for a token; a wrong one is refused; the admin's signs it in for a cookie that
  // page scripts cannot read and that does not hold the token in the clear.
  await page.goto(base + '/', {waitUntil: 'load'});
  await page.waitForSelector('#sign-in');
  check((await text(page, '#connection')) === 'signed out', 'the page asks for a token when gpopd requires one');
  await signIn(page, 'not-a-token');
  await page.waitForFunction(() => document.getElementById('sign-in-error').textContent.includes('UNAUTHENTICATED'));
  check(true, 'a wrong token is refused on the page (UNAUTHENTICATED)');
  await signIn(page, ADMIN_TOKEN);
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'live');
  check(true, 'the page opens and its watch stream is live');
  const cookie = (await page.cookies()).find((c) => c.name === 'gpop_session');
  check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict' && !cookie.value.includes(ADMIN_TOKEN),
      'the session cookie is HttpOnly, SameSite=Strict and does not show the token');
  check(!(await page.evaluate(() => document.cookie)).includes('gpop_session') &&
      !(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).includes(ADMIN_TOKEN),
      'page scripts see neither the cookie nor the token');
  check((await text(page, '#whoami')) === 'ada (admin)', 'the page shows who is signed in');
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

  step = 'cancel from the page';
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
  const cancelledId = (await page.evaluate(() => location.hash)).slice('#/op/'.length);
  const cancelledGrpc = grpcEvents(cancelledId);
  check(sameEvents(await pageEvents(page), cancelledGrpc) && cancelledGrpc.at(-1).state === 'CANCELLED',
      'the cancelled operation\'s page shows the gRPC stream\'s events, in order, ending CANCELLED');

  // A viewer (its own browser context, so its own cookie): no Cancel button, no start buttons,
  // and a cancel forced through the hidden button is refused and shown on the page.
  const viewerContext = await browser.createBrowserContext();
  const viewer = await viewerContext.newPage();
  pages.push(viewer);
  await viewer.bringToFront();  // a background tab gets no animation frames: waits would stall
  await viewer.setViewport({width: 1280, height: 800});
  viewer.on('dialog', async (d) => { failures++; await d.dismiss(); });
  const running = await api(server.port, 'POST', '/v1/operations', {
    spec: {backup: {gpo: {displayName: 'Viewed GPO'}, location: 'viewed'}},
    labels: {'synthetic.steps': '600', 'synthetic.step_ms': '100'}});
  step = 'viewer signs in';
  await viewer.goto(base + '/#/op/' + running.id, {waitUntil: 'load'});
  await signIn(viewer, VIEWER_TOKEN);
  // Polled by timer: a second window's animation frames may not run in headless Chromium.
  await pollFromNode(viewer, () => document.getElementById('op-state')?.textContent === 'RUNNING' &&
      document.getElementById('whoami').textContent === 'vera (viewer)');
  check(await viewer.$eval('#cancel', (n) => n.hidden && n.offsetParent === null), 'a viewer sees no Cancel button');
  step = 'viewer forces a cancel';
  await viewer.$eval('#cancel', (n) => { n.hidden = false; });
  await viewer.click('#cancel');
  await pollFromNode(viewer, () => document.getElementById('op-error')?.textContent.includes('PERMISSION_DENIED'));
  check(true, 'a viewer\'s forced cancel is refused and the page says PERMISSION_DENIED');
  check((await api(server.port, 'GET', '/v1/operations/' + running.id)).state === 'RUNNING',
      'the viewer\'s cancel changed nothing');
  await viewer.screenshot({path: path.join(shots, 'dashboard-viewer.png')});
  step = 'viewer GPO list';
  await viewer.goto(base + '/#/gpos');
  await viewer.waitForSelector('button.backup');
  check(await viewer.$$eval('button.backup, button.report', (b) => b.every((n) => n.offsetParent === null)),
      'a viewer sees no Back up or Report buttons');
  await viewerContext.close();
  await page.bringToFront();
  await api(server.port, 'POST', '/v1/operations/' + running.id + ':cancel', {});

  // A network cut under a running operation's page: a proxy between page and gpopd drops every
  // connection and refuses new ones; the page shows reconnecting…, then resumes to the end.
  step = 'network cut';
  proxy = await startProxy(() => server.port);
  const viaProxy = 'http://127.0.0.1:' + proxy.port();
  const cutOp = await api(server.port, 'POST', '/v1/operations', {
    spec: {backup: {gpo: {displayName: 'Cut GPO'}, location: 'cut'}},
    labels: {'synthetic.steps': '60', 'synthetic.step_ms': '100', 'synthetic.messages': '1'}});
  await page.goto(viaProxy + '/#/op/' + cutOp.id, {waitUntil: 'load'});
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'live' &&
      document.querySelectorAll('#events tr').length >= 3);
  const beforeCut = (await pageEvents(page)).length;
  await proxy.cut();
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'reconnecting…', {timeout: 10000});
  check(true, 'the page shows reconnecting… when the network is cut (after ' + beforeCut + ' events)');
  await proxy.resume();
  await page.waitForFunction(() => document.getElementById('op-state').textContent === 'SUCCEEDED' &&
      document.getElementById('connection').textContent === 'live', {timeout: 30000});
  const cutShown = await pageEvents(page);
  const cutGrpc = grpcEvents(cutOp.id);
  check(cutShown.length > beforeCut && sameEvents(cutShown, cutGrpc) && cutGrpc.at(-1).state === 'SUCCEEDED',
      'after the cut the page resumed: ' + cutShown.length + ' events, the gRPC stream\'s, in order, none twice, SUCCEEDED');
  await proxy.close();
  proxy = null;

  // The GPO and backup lists with hostile names and comments (the synthetic backend lists fixed
  // GPOs and no backups, so these two answers are replaced in the browser): shown as text.
  step = 'hostile GPO and backup lists';
  const listPage = await browser.newPage();
  pages.push(listPage);
  await listPage.bringToFront();
  listPage.on('dialog', async (d) => { failures++; console.log('FAIL a dialog opened: ' + d.message()); await d.dismiss(); });
  await listPage.setRequestInterception(true);
  listPage.on('request', (r) => {
    const u = new URL(r.url());
    const json = (body) => r.respond({status: 200, contentType: 'application/json', body: JSON.stringify(body)});
    if (u.pathname === '/v1/gpos') {
      json({gpos: [{guid: '{11111111-2222-3333-4444-555555555555}', displayName: HOSTILE_NAME, version: 1}]});
    } else if (u.pathname === '/v1/backups') {
      json({backups: [{backupId: '{66666666-2222-3333-4444-555555555555}', gpoDisplayName: HOSTILE_NAME,
        location: HOSTILE_LABEL, comment: HOSTILE_COMMENT}]});
    } else {
      r.continue();
    }
  });
  await listPage.goto(base + '/#/gpos');
  await listPage.waitForSelector('#gpos tbody tr');
  check((await text(listPage, '#gpos tbody')).includes(HOSTILE_NAME), 'a hostile GPO name is shown as text in the GPO list');
  await listPage.goto(base + '/#/backups');
  await listPage.waitForSelector('#backups tbody tr');
  const backupRow = await text(listPage, '#backups tbody');
  check(backupRow.includes(HOSTILE_NAME) && backupRow.includes(HOSTILE_COMMENT) && backupRow.includes(HOSTILE_LABEL),
      'hostile names, comments and locations are shown as text in the backup list');
  check(await listPage.evaluate(() => window.__xss === undefined && !document.querySelector('#main script, #main img, #main svg')),
      'no hostile markup in the lists');
  await listPage.close();
  pages.pop();
  await page.bringToFront();

  // A report from the GPO list, opened in a sandboxed frame.
  await page.goto(base + '/#/gpos');
  await page.waitForSelector('button.report');
  await page.click('button.report');
  await page.waitForSelector('#report-frame', {timeout: 10000});
  check((await page.$eval('#report-frame', (n) => n.getAttribute('sandbox'))) === '',
      'the report opens in a sandboxed frame');

  step = 'table across a restart';
  // Restart gpopd under the page: reconnecting…, then live again, re-listed, nothing doubled.
  await api(server.port, 'POST', '/v1/operations', {
    spec: {backup: {gpo: {displayName: 'Finance Workstations'}, location: 'nightly'}},
    labels: {'synthetic.steps': '1000', 'synthetic.step_ms': '100', team: 'finance'}});
  const listedBefore = (await api(server.port, 'GET', '/v1/operations')).operations.length;
  await page.goto(base + '/#/');
  await page.waitForFunction((n) => document.getElementById('connection').textContent === 'live' &&
      document.querySelectorAll('#operations tbody tr').length === n, {}, listedBefore);
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
  check(await page.evaluate(() => document.getElementById('whoami').textContent === 'ada (admin)'),
      'the session survives the gpopd restart (no new sign-in)');
  const ids = await page.$$eval('#operations tbody tr', (rows) => rows.map((r) => r.dataset.id));
  const listed = (await api(server.port, 'GET', '/v1/operations')).operations.map((o) => o.id);
  check(ids.length === new Set(ids).size && ids.length === listed.length &&
      listed.every((id) => ids.includes(id)),
      'after a gpopd restart the table is live again and equals the listing, no row twice');

  await page.screenshot({path: path.join(shots, 'dashboard-after-restart.png')});

  // An operation's page across a gpopd restart: the page shows what the gRPC stream of the
  // restarted gpopd says, in order, with the same terminal state.
  step = 'operation page across a restart';
  const acrossOp = await api(server.port, 'POST', '/v1/operations', {
    spec: {backup: {gpo: {displayName: 'Across Restart'}, location: 'across'}},
    labels: {'synthetic.steps': '600', 'synthetic.step_ms': '100', 'synthetic.messages': '1'}});
  await page.goto(base + '/#/op/' + acrossOp.id);
  await page.waitForFunction(() => document.getElementById('op-state')?.textContent === 'RUNNING' &&
      document.querySelectorAll('#events tr').length >= 3);
  // (The planned shutdown may end the operation before gpopd goes: then the page has its end
  // already and needs no reconnect.)
  await stopGpopd(server);
  server = await startGpopd('127.0.0.1:' + server.port);
  const acrossGrpc = grpcEvents(acrossOp.id);  // to its end: recovery settles it
  const terminal = acrossGrpc.at(-1).state;
  await page.waitForFunction((t) => document.getElementById('op-state').textContent === t &&
      document.getElementById('connection').textContent === 'live', {timeout: 15000}, terminal);
  check(sameEvents(await pageEvents(page), acrossGrpc),
      'across a gpopd restart the operation page shows the gRPC stream\'s events, in order, ending ' + terminal);

  const log = server.log() + previousLogs.join('');
  check(!log.includes(ADMIN_TOKEN) && !log.includes(VIEWER_TOKEN) && log.length > 0, 'no token appears in gpopd\'s log');
  check(await page.evaluate(() => window.__xss === undefined), 'no hostile script ran');
  check(cspViolations.length === 0, 'no Content-Security-Policy violation: ' + cspViolations.join(' | '));
} catch (e) {
  failures++;
  console.log('FAIL ' + step + ': ' + (e && e.stack || e));
  for (const p of pages) console.log('  page ' + p.url() + ': ' + (await p.evaluate(() => document.body.innerText).catch(() => '?')).slice(0, 2000).replace(/\n/g, ' | '));
  if (server) console.log(server.log());
} finally {
  if (proxy) await proxy.close();
  if (browser) await browser.close();
  if (server && server.child.exitCode === null) await stopGpopd(server);
  rmSync(work, {recursive: true, force: true});
}
console.log(failures === 0 ? 'dashboard browser test: passed' : failures + ' failure(s)');
process.exit(failures === 0 ? 0 : 1);
