// The dashboard over HTTPS in Debian's headless Chromium: gpopd serves --http_listen with the
// gRPC port's --tls_cert/--tls_key (made here by openssl) and bearer tokens. Chromium trusts
// exactly that certificate's key (--ignore-certificate-errors-spki-list, nothing else), signs in,
// gets a Secure session cookie, goes live over its watch stream, and sees an operation started
// elsewhere reach SUCCEEDED; then the certificate is replaced by one with another key and gpopd
// is sent SIGHUP: the open page stays live and shows the next operation (its stream kept its
// TLS session), while a new navigation is refused (the new key is not trusted).
//
// Usage: node browser_tls_test.mjs GPOPD
import {spawn, execFileSync} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync, copyFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const [gpopd] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const work = mkdtempSync(path.join(tmpdir(), 'gpop-browser-tls-'));
let child = null, browser = null, failures = 0, log = '';
const TOKEN = 'adm-' + randomBytes(16).toString('hex');
const sha256 = (t) => createHash('sha256').update(t).digest('hex');
writeFileSync(path.join(work, 'tokens'), `ada sha256:${sha256(TOKEN)} never\n`);
writeFileSync(path.join(work, 'policy'), 'grant ada admin\n');

function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures++;
}

// A self-signed certificate for 127.0.0.1 and the base64 SHA-256 of its public key.
function makeCert(name) {
  const crt = path.join(work, name + '.crt'), key = path.join(work, name + '.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', key, '-out', crt], {stdio: 'ignore'});
  const spki = execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-outform', 'DER']);
  return {crt, key, spki: createHash('sha256').update(spki).digest('base64')};
}

async function api(port, p, body) {
  // Node's fetch would refuse the self-signed certificate: curl with the certificate as CA.
  const out = execFileSync('curl', ['-sS', '--cacert', path.join(work, 'live.crt'), '-X', 'POST',
    '-H', 'Content-Type: application/json', '-H', 'Authorization: Bearer ' + TOKEN,
    'https://127.0.0.1:' + port + p, '-d', JSON.stringify(body)], {encoding: 'utf8'});
  return JSON.parse(out);
}

try {
  const first = makeCert('first'), second = makeCert('second');
  copyFileSync(first.crt, path.join(work, 'live.crt'));
  copyFileSync(first.key, path.join(work, 'live.key'));
  const portFile = path.join(work, 'http-port');
  child = spawn(gpopd, ['--backend=synthetic', '--listen=127.0.0.1:0', '--http_listen=127.0.0.1:0',
    '--http_port_file=' + portFile, '--state_dir=' + path.join(work, 'state'),
    '--tls_cert=' + path.join(work, 'live.crt'), '--tls_key=' + path.join(work, 'live.key'),
    '--tokens_file=' + path.join(work, 'tokens'), '--auth_policy=' + path.join(work, 'policy')],
  {stdio: ['ignore', 'ignore', 'pipe']});
  child.stderr.on('data', (d) => { log += d; });
  await new Promise((resolve, reject) => {
    const poll = setInterval(() => { if (existsSync(portFile)) { clearInterval(poll); resolve(); } }, 20);
    child.once('exit', (code) => { clearInterval(poll); reject(new Error('gpopd exited ' + code + ': ' + log)); });
  });
  child.removeAllListeners('exit');
  const port = Number(readFileSync(portFile, 'utf8').trim());
  const base = 'https://127.0.0.1:' + port;

  browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true, userDataDir: path.join(work, 'profile'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // Pages of other contexts count as background windows: without these, Chromium
      // throttles their timers (waitForFunction's polling among them) on a loaded machine.
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
      '--ignore-certificate-errors-spki-list=' + first.spki],
  });
  const page = await browser.newPage();
  await page.goto(base + '/', {waitUntil: 'load'});
  await page.waitForSelector('#token');
  await page.type('#token', TOKEN);
  await page.click('#sign-in-button');
  await page.waitForFunction(() => document.getElementById('connection').textContent === 'live');
  check(true, 'the dashboard over HTTPS signs in and its watch stream is live');
  const cookie = (await page.cookies()).find((c) => c.name === 'gpop_session');
  check(cookie && cookie.secure && cookie.httpOnly, 'the session cookie is Secure and HttpOnly');
  const seen = async (id) => page.waitForFunction((i) => {
    const r = document.querySelector(`tr[data-id="${i}"]`);
    return r && r.textContent.includes('SUCCEEDED');
  }, {timeout: 15000}, id);
  const spec = {spec: {backup: {gpo: {displayName: 'TLS GPO'}, location: 'tls'}},
    labels: {'synthetic.steps': '2', 'synthetic.step_ms': '20'}};
  await seen((await api(port, '/v1/operations', spec)).id);
  check(true, 'an operation started elsewhere reaches SUCCEEDED on the HTTPS page');

  // The control for the last check: a fresh context trusts the first certificate.
  const control = await (await browser.createBrowserContext()).newPage();
  check(await control.goto(base + '/', {waitUntil: 'load'}).then(() => true, () => false),
      'a page in a fresh browser context loads with the first certificate');

  // A new certificate (another key) and SIGHUP: the open page keeps its stream.
  copyFileSync(second.crt, path.join(work, 'live.crt'));
  copyFileSync(second.key, path.join(work, 'live.key'));
  child.kill('SIGHUP');
  for (let i = 0; i < 400 && !log.includes('HTTPS certificate reloaded'); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  check(log.includes('HTTPS certificate reloaded'), 'gpopd reloaded the HTTPS certificate on SIGHUP');
  await seen((await api(port, '/v1/operations', spec)).id);
  check(await page.evaluate(() => document.getElementById('connection').textContent === 'live'),
      'the page opened before the reload stays live and shows the next operation');
  // Another browser context: its own connections and TLS session cache, so a new handshake.
  const fresh = await (await browser.createBrowserContext()).newPage();
  const refused = await fresh.goto(base + '/', {waitUntil: 'load'}).then(() => false, () => true);
  check(refused, 'a new connection gets the new certificate (not trusted by this browser)');
} catch (e) {
  failures++;
  console.log('FAIL ' + (e && e.stack || e));
  console.log(log);
} finally {
  if (browser) await browser.close();
  if (child && child.exitCode === null) {
    const done = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await done;
  }
  rmSync(work, {recursive: true, force: true});
}
console.log(failures === 0 ? 'dashboard HTTPS browser test: passed' : failures + ' failure(s)');
process.exit(failures === 0 ? 0 : 1);
