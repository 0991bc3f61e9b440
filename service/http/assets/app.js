// The gpop dashboard. Talks only to gpopd's own HTTP/JSON API and its Server-Sent Events
// (service/http/routes.h). Every value from the server is put into the page as text
// (textContent, attributes set one by one), never parsed as HTML: GPO names, comments, labels
// and messages cannot inject markup or script. The page's CSP forbids inline script anyway.
'use strict';

(function () {
  const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
  const STATES = ['QUEUED', 'RUNNING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
  const KINDS = ['BACKUP', 'RESTORE', 'IMPORT', 'COPY', 'REPORT'];
  const main = document.getElementById('main');
  const connection = document.getElementById('connection');
  const whoami = document.getElementById('whoami');
  const signOut = document.getElementById('sign-out');
  let view = null;  // the current view's cleanup
  // Who we are (GET /v1/session): principal, role, and the session's CSRF token when signed in
  // by cookie. Null until known, or after the server refused us (the sign-in form shows).
  let me = null;

  // --- Small DOM helpers (text only) -------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function hex32(n) { return '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0'); }
  function setConnection(state) {
    connection.dataset.state = state;
    connection.textContent = state === 'live' ? 'live'
        : state === 'reconnecting' ? 'reconnecting…' : state;
  }
  function age(time) {
    if (!time) return '';
    const s = Math.max(0, Math.round((Date.now() - Date.parse(time)) / 1000));
    return s < 60 ? s + ' s' : s < 3600 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h';
  }
  function gpoName(spec) {
    const k = spec && Object.values(spec)[0];
    if (!k) return '';
    const ref = k.gpo || k.sourceGpo || k.targetGpo;
    if (ref) return ref.displayName || ref.guid || '';
    if (k.backup) return 'backup ' + (k.backup.backupId || '');
    return k.createIfNeededName || '';
  }
  function progressBar(progress, big) {
    const bar = el('div', {class: big ? 'bar big' : 'bar', role: 'progressbar'}, el('span'));
    setProgress(bar, progress);
    return bar;
  }
  function setProgress(bar, progress) {
    const n = Number((progress && progress.numerator) || 0);
    const d = Number((progress && progress.denominator) || 0);
    const pct = d > 0 ? Math.min(100, Math.round(100 * n / d)) : 0;
    bar.firstChild.style.width = pct + '%';
    bar.setAttribute('aria-valuenow', String(pct));
    bar.title = d > 0 ? n + ' / ' + d : 'no progress yet';
  }
  function labelsOf(labels) {
    const box = el('span', {class: 'labels'});
    for (const [k, v] of Object.entries(labels || {})) box.append(el('span', {}, k + '=' + v));
    return box;
  }
  function errorText(body) {
    const e = body && body.error;
    if (!e) return 'request failed';
    const reason = e.details && e.details[0] && e.details[0].reason;
    return e.status + (reason ? ' ' + reason : '') + ': ' + e.message;
  }

  // --- API ----------------------------------------------------------------------------------
  async function api(method, path, body, extraHeaders) {
    const init = {method, headers: {'Accept': 'application/json', ...(extraHeaders || {})},
      credentials: 'same-origin'};
    if (method !== 'GET') {
      // Content-Type application/json is what gpopd's cross-site check requires, and a request
      // authenticated by the session cookie must carry the session's CSRF token.
      init.headers['Content-Type'] = 'application/json';
      if (me && me.csrfToken) init.headers['X-Gpop-Csrf'] = me.csrfToken;
      init.body = JSON.stringify(body || {});
    }
    const response = await fetch(path, init);
    const json = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(errorText(json));
      error.httpStatus = response.status;
      // Signed out, expired or revoked: ask for a token again (not for the sign-in itself).
      if (response.status === 401 && path !== '/v1/session') showSignIn(error.message);
      throw error;
    }
    return json;
  }
  function isUnauthenticated(body) { return !!(body && body.error && body.error.status === 'UNAUTHENTICATED'); }
  const ROLES = {viewer: 1, operator: 2, admin: 3};
  // Buttons follow the caller's role; gpopd decides every call by the grants themselves.
  function mayStart() { return !!me && (ROLES[me.role] || 0) >= ROLES.operator; }
  function mayCancel(op) {
    if (!me) return false;
    return me.role === 'admin' || (me.role === 'operator' && !!op && op.principal === me.principal);
  }
  async function startOperation(spec, labels) {
    const op = await api('POST', '/v1/operations', {spec, labels: labels || {}});
    location.hash = '#/op/' + op.id;
  }

  // Stream: one EventSource with its own resume position. EventSource resumes by itself on a
  // network error; when it gives up (gpopd gone, a 5xx), or the server says `unavailable`, we
  // reconnect with our position after a backoff. `failure` is final for the position.
  function stream(makeUrl, handlers) {
    let source = null, timer = null, closed = false, delay = 500;
    function open() {
      if (closed) return;
      source = new EventSource(makeUrl());
      source.onopen = () => { delay = 500; setConnection('live'); };
      for (const name of ['event', 'progress', 'heartbeat']) {
        source.addEventListener(name, (m) => {
          setConnection('live');
          handlers[name] && handlers[name](JSON.parse(m.data), m.lastEventId);
        });
      }
      source.addEventListener('end', () => { stop(); handlers.end && handlers.end(); });
      source.addEventListener('failure', (m) => {
        stop();
        const body = JSON.parse(m.data);
        if (isUnauthenticated(body)) { showSignIn(errorText(body)); return; }
        handlers.failure && handlers.failure(body);
      });
      source.addEventListener('unavailable', () => retry());
      source.onerror = () => { if (source.readyState === EventSource.CLOSED) retry(); else setConnection('reconnecting'); };
    }
    function retry() {
      if (source) source.close();
      source = null;
      if (closed) return;
      setConnection('reconnecting');
      clearTimeout(timer);
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 5000);
    }
    function stop() { closed = true; clearTimeout(timer); if (source) source.close(); source = null; }
    open();
    return stop;
  }

  // --- Operations table: list, then watch from the listed revision --------------------------
  function operationsView() {
    const filters = {state: '', kind: '', label: ''};
    const ops = new Map();  // id -> Operation
    let revision = 0, stopWatch = null, refresher = null;
    const body = el('tbody');
    const stateSel = el('select', {id: 'filter-state'}, el('option', {value: ''}, 'any'),
        ...STATES.map((s) => el('option', {value: s}, s)));
    const kindSel = el('select', {id: 'filter-kind'}, el('option', {value: ''}, 'any'),
        ...KINDS.map((k) => el('option', {value: k}, k)));
    const labelIn = el('input', {id: 'filter-label', placeholder: 'key=value'});
    const note = el('span', {class: 'muted'});
    const apply = () => {
      filters.state = stateSel.value; filters.kind = kindSel.value; filters.label = labelIn.value.trim();
      restart();
    };
    stateSel.addEventListener('change', apply);
    kindSel.addEventListener('change', apply);
    labelIn.addEventListener('change', apply);
    main.append(el('h2', {}, 'Operations'),
        el('div', {class: 'filters'}, el('label', {}, 'State', stateSel), el('label', {}, 'Kind', kindSel),
            el('label', {}, 'Label', labelIn), note),
        el('table', {id: 'operations'},
            el('thead', {}, el('tr', {}, ...['Kind', 'GPO', 'State', 'Progress', 'Principal', 'Age',
              'Labels'].map((h) => el('th', {}, h)))), body));

    function filterText() {
      const parts = [];
      if (filters.state) parts.push('state=' + filters.state);
      if (filters.kind) parts.push('kind=' + filters.kind);
      if (filters.label) parts.push('labels.' + filters.label);
      return parts.join(' AND ');
    }
    function render() {
      clear(body);
      const sorted = [...ops.values()].sort((a, b) => (b.createTime || '').localeCompare(a.createTime || ''));
      for (const op of sorted) {
        body.append(el('tr', {class: 'clickable', 'data-id': op.id, onclick: () => { location.hash = '#/op/' + op.id; }},
            el('td', {}, op.kind || ''), el('td', {}, gpoName(op.spec)),
            el('td', {class: 'state state-' + op.state}, op.state || ''),
            el('td', {}, progressBar(op.progress)), el('td', {}, op.principal || ''),
            el('td', {}, age(op.createTime)), el('td', {}, labelsOf(op.labels))));
      }
      note.textContent = ops.size + ' operation' + (ops.size === 1 ? '' : 's');
    }
    async function refresh(id) {
      try {
        const op = await api('GET', '/v1/operations/' + encodeURIComponent(id));
        // Answers may cross: an older record never replaces a newer one.
        const known = ops.get(id);
        if (!known || Number(op.revision || 0) >= Number(known.revision || 0)) ops.set(id, op);
        render();
      }
      catch (e) { /* gone (retention): leave the row as it was */ }
    }
    async function list() {
      // Every page, then the revision of the first page: the watch resumes from there.
      const filter = filterText();
      ops.clear();
      let token = '', first = true;
      do {
        const q = new URLSearchParams({page_size: '1000'});
        if (filter) q.set('filter', filter);
        if (token) q.set('page_token', token);
        const page = await api('GET', '/v1/operations?' + q);
        if (first) revision = Number(page.revision || 0);
        first = false;
        for (const op of page.operations || []) ops.set(op.id, op);
        token = page.nextPageToken || '';
      } while (token);
      render();
    }
    async function restart() {
      if (stopWatch) stopWatch();
      stopWatch = null;
      try { await list(); } catch (e) {
        note.textContent = String(e.message);
        if (e.httpStatus >= 400 && e.httpStatus < 500) return;  // a bad filter: fix it, no retry
        setConnection('reconnecting');
        setTimeout(restart, 1000);
        return;
      }
      stopWatch = stream(() => {
        const q = new URLSearchParams({after_revision: String(revision)});
        const filter = filterText();
        if (filter) q.set('filter', filter);
        return '/v1/operations:watch?' + q;
      }, {
        event: (update, id) => {
          const e = update.event;
          const rev = Number(e.revision || id || 0);
          if (rev <= revision) return;  // never applied twice
          revision = rev;
          refresh(e.operationId);
        },
        heartbeat: (update, id) => { if (id) revision = Math.max(revision, Number(id)); },
        // CURSOR_EXPIRED, or a restarted gpopd whose revisions are behind ours: list again.
        failure: () => { setConnection('reconnecting'); restart(); },
      });
    }
    // The watch carries events, not progress: running rows refresh their progress meanwhile.
    refresher = setInterval(() => {
      for (const op of ops.values()) if (op.state === 'RUNNING' || op.state === 'CANCELLING') refresh(op.id);
    }, 1000);
    restart();
    return () => { if (stopWatch) stopWatch(); clearInterval(refresher); };
  }

  // --- One operation ------------------------------------------------------------------------
  function operationView(id) {
    let lastSequence = 0, stop = null, record = null;
    const fields = el('dl', {class: 'fields', id: 'op-fields'});
    const bar = progressBar(null, true);
    const barText = el('span', {id: 'progress-text', class: 'muted'});
    const state = el('span', {id: 'op-state', class: 'state'});
    const cancel = el('button', {id: 'cancel', class: 'danger', hidden: '', onclick: doCancel}, 'Cancel');
    const log = el('tbody', {id: 'events'});
    const result = el('section', {id: 'result'});
    const error = el('div', {class: 'error', id: 'op-error'});
    main.append(el('h2', {}, 'Operation ', el('span', {class: 'mono'}, id), ' ', state), error,
        el('section', {}, bar, barText), el('section', {}, cancel), fields, result,
        el('h2', {}, 'Events'),
        el('table', {}, el('thead', {}, el('tr', {}, ...['#', 'Time', 'State', 'HRESULT', 'Messages']
            .map((h) => el('th', {}, h)))), log));

    function showState(s) {
      state.textContent = s;
      state.className = 'state state-' + s;
      cancel.hidden = TERMINAL.has(s) || s === 'CANCELLING' || !mayCancel(record);
    }
    function showRecord(op) {
      record = op;
      showState(state.textContent || op.state);
      clear(fields);
      const add = (k, v) => { if (v) fields.append(el('dt', {}, k), el('dd', {}, v)); };
      add('Kind', op.kind); add('GPO', gpoName(op.spec)); add('Principal', op.principal);
      add('Request id', op.requestId); add('Created', op.createTime); add('Deadline', op.deadline);
      if (op.spec && op.spec.backup) { add('Location', op.spec.backup.location); add('Comment', op.spec.backup.comment); }
      if (op.labels && Object.keys(op.labels).length) fields.append(el('dt', {}, 'Labels'), el('dd', {}, labelsOf(op.labels)));
      // A record older than the events already shown (a cancel's answer crossing the stream's
      // later events) must not turn the state back.
      if (Number(op.lastSequence || 0) >= lastSequence) {
        showState(op.state);
        setProgress(bar, op.progress);
      }
    }
    function showProgress(p) {
      setProgress(bar, p);
      barText.textContent = p.denominator ? ' ' + (p.numerator || 0) + ' / ' + p.denominator : '';
    }
    function showResult(e) {
      clear(result);
      result.append(el('h2', {}, 'Result'));
      const dl = el('dl', {class: 'fields'});
      const add = (k, v) => dl.append(el('dt', {}, k), el('dd', {}, v));
      if (e.effects) add('Effects', e.effects);
      if (e.hresult !== undefined) add('HRESULT', hex32(e.hresult));
      if (e.error) add('Error', errorText({error: {status: String(e.error.code), message: e.error.message,
        details: (e.error.details || [])}}));
      const r = e.result || {};
      if (r.backup) { add('Backup id', r.backup.backupId || ''); add('Location', r.backup.location || '');
        add('GPO', r.backup.gpoDisplayName || r.backup.gpoGuid || ''); if (r.backup.comment) add('Comment', r.backup.comment); }
      if (r.gpo) add('GPO', (r.gpo.displayName || '') + ' ' + (r.gpo.guid || ''));
      result.append(dl);
      if (r.report) {
        const url = '/v1/operations/' + encodeURIComponent(id) + '/report';
        // The report is someone else's document: a sandboxed frame (no script, unique origin),
        // and gpopd serves it with a sandbox CSP as well.
        result.append(el('p', {}, el('a', {href: url, target: '_blank', rel: 'noopener', id: 'report-link'}, 'Open the report (' + (r.report.format || '') + ')')),
            el('iframe', {class: 'report', id: 'report-frame', sandbox: '', src: url, title: 'report'}));
      }
    }
    function addEvent(e) {
      const seq = Number(e.sequence);
      if (seq <= lastSequence) return;  // never shown twice
      lastSequence = seq;
      const msgs = el('div');
      for (const m of e.messages || []) {
        const parts = [m.severity || '', m.objectPath || '', m.extensionName || '', m.settingsName || '',
          m.errorCode !== undefined ? hex32(m.errorCode) : '', m.message || ''].filter((x) => x);
        msgs.append(el('div', {class: 'severity-' + (m.severity || '')}, parts.join(' · ')));
      }
      log.append(el('tr', {'data-sequence': String(seq)}, el('td', {}, String(seq)), el('td', {}, e.time || ''),
          el('td', {class: 'state state-' + e.state}, e.state || ''),
          el('td', {class: 'mono'}, e.hresult !== undefined ? hex32(e.hresult) : ''), el('td', {}, msgs)));
      if (e.state) showState(e.state);
      if (TERMINAL.has(e.state)) showResult(e);
    }
    async function doCancel() {
      cancel.disabled = true;
      try { showRecord(await api('POST', '/v1/operations/' + encodeURIComponent(id) + ':cancel', {})); }
      catch (e) { error.textContent = e.message; }
      cancel.disabled = false;
    }
    api('GET', '/v1/operations/' + encodeURIComponent(id)).then(showRecord).catch((e) => { error.textContent = e.message; });
    stop = stream(() => '/v1/operations/' + encodeURIComponent(id) + '/events?after_sequence=' + lastSequence, {
      event: (u) => addEvent(u.event),
      progress: (u) => showProgress(u.progress),
      end: () => setConnection('live'),
      failure: (body) => { error.textContent = errorText(body); },
    });
    return () => stop && stop();
  }

  // --- GPOs and backups ---------------------------------------------------------------------
  function labelsFrom(text) {
    const labels = {};
    for (const part of text.split(',').map((s) => s.trim()).filter((s) => s)) {
      const eq = part.indexOf('=');
      if (eq > 0) labels[part.slice(0, eq)] = part.slice(eq + 1);
    }
    return labels;
  }
  function gposView() {
    const error = el('div', {class: 'error', id: 'gpos-error'});
    const body = el('tbody');
    const loc = el('input', {id: 'backup-location', placeholder: 'default'});
    const comment = el('input', {id: 'backup-comment', maxlength: '2047', placeholder: 'comment'});
    const labels = el('input', {id: 'backup-labels', placeholder: 'key=value, …'});
    main.append(el('h2', {}, 'GPOs'), error,
        el('div', {class: 'form'}, el('label', {}, 'Backup location', loc), el('label', {}, 'Comment', comment),
            el('label', {}, 'Labels', labels)),
        el('table', {id: 'gpos'}, el('thead', {}, el('tr', {}, ...['Name', 'GUID', 'Version', 'Modified', '']
            .map((h) => el('th', {}, h)))), body));
    const run = (spec) => startOperation(spec, labelsFrom(labels.value)).catch((e) => { error.textContent = e.message; });
    api('GET', '/v1/gpos').then((r) => {
      for (const g of r.gpos || []) {
        const ref = {guid: g.guid};
        body.append(el('tr', {'data-guid': g.guid},
            el('td', {}, g.displayName || ''), el('td', {class: 'mono'}, g.guid || ''),
            el('td', {}, String(g.version || 0)), el('td', {}, g.modifyTime || ''),
            el('td', {hidden: mayStart() ? null : ''},
                el('button', {class: 'primary backup', onclick: () => run({backup: {gpo: ref, location: loc.value.trim(), comment: comment.value}})}, 'Back up'),
                ' ',
                el('button', {class: 'report', onclick: () => run({report: {gpo: ref, format: 'HTML'}})}, 'Report'))));
      }
    }).catch((e) => { error.textContent = e.message; });
    return null;
  }
  function backupsView() {
    const error = el('div', {class: 'error', id: 'backups-error'});
    const body = el('tbody');
    const loc = el('input', {id: 'backups-location', placeholder: 'default'});
    const load = () => {
      clear(body); error.textContent = '';
      const q = loc.value.trim() ? '?location=' + encodeURIComponent(loc.value.trim()) : '';
      api('GET', '/v1/backups' + q).then((r) => {
        for (const b of r.backups || []) {
          body.append(el('tr', {'data-backup': b.backupId},
              el('td', {}, b.gpoDisplayName || ''), el('td', {class: 'mono'}, b.backupId || ''),
              el('td', {}, b.location || ''), el('td', {}, b.comment || ''), el('td', {}, b.backupTime || ''),
              el('td', {hidden: mayStart() ? null : ''}, el('button', {class: 'report', onclick: () => startOperation({report: {backup: {location: b.location, backupId: b.backupId}, format: 'HTML'}}).catch((e) => { error.textContent = e.message; })}, 'Report'))));
        }
      }).catch((e) => { error.textContent = e.message; });
    };
    main.append(el('h2', {}, 'Backups'), error,
        el('div', {class: 'form'}, el('label', {}, 'Location', loc), el('button', {onclick: load}, 'Show')),
        el('table', {id: 'backups'}, el('thead', {}, el('tr', {}, ...['GPO', 'Backup id', 'Location', 'Comment', 'Time', '']
            .map((h) => el('th', {}, h)))), body));
    load();
    return null;
  }

  // --- Routing ------------------------------------------------------------------------------
  function route() {
    if (view) view();
    view = null;
    clear(main);
    const hash = location.hash || '#/';
    for (const a of document.querySelectorAll('nav a')) a.classList.toggle('current', a.getAttribute('href') === hash);
    const op = hash.match(/^#\/op\/([a-z0-9-]+)$/);
    if (op) view = operationView(op[1]);
    else if (hash === '#/gpos') view = gposView();
    else if (hash === '#/backups') view = backupsView();
    else view = operationsView();
  }
  window.addEventListener('hashchange', () => { if (me) route(); });

  // --- Signing in -----------------------------------------------------------------------------
  // EventSource cannot send an Authorization header, so the page trades the token for an
  // HttpOnly session cookie (POST /v1/session) and forgets the token at once.
  function showIdentity() {
    whoami.textContent = me ? me.principal + (me.role ? ' (' + me.role + ')' : '') : '';
    signOut.hidden = !(me && me.authenticatedBy === 'session');
  }
  function showSignIn(why) {
    if (view) view();
    view = null;
    me = null;
    showIdentity();
    setConnection('signed out');
    clear(main);
    const token = el('input', {id: 'token', type: 'password', autocomplete: 'off', placeholder: 'bearer token'});
    const error = el('div', {class: 'error', id: 'sign-in-error'}, why || '');
    const submit = async () => {
      const value = token.value.trim();
      token.value = '';
      if (!value) return;
      try {
        me = await api('POST', '/v1/session', {}, {'Authorization': 'Bearer ' + value});
        showIdentity();
        route();
      } catch (e) { error.textContent = e.message; }
    };
    token.addEventListener('keydown', (e) => { if (e.key === 'Enter') submit(); });
    main.append(el('section', {id: 'sign-in', class: 'form'}, el('h2', {}, 'Sign in'),
        el('p', {}, 'This gpopd needs a bearer token (the same as for gpopctl).'),
        el('label', {}, 'Token', token), el('button', {id: 'sign-in-button', class: 'primary', onclick: submit}, 'Sign in'),
        error));
    token.focus();
  }
  signOut.addEventListener('click', async () => {
    try { await api('DELETE', '/v1/session'); } catch (e) { /* signed out either way */ }
    showSignIn('signed out');
  });
  async function boot() {
    try {
      const response = await fetch('/v1/session', {headers: {'Accept': 'application/json'}, credentials: 'same-origin'});
      const json = await response.json().catch(() => ({}));
      if (response.status === 401) { showSignIn(''); return; }
      if (!response.ok) throw new Error(errorText(json));
      me = json;
      showIdentity();
      route();
    } catch (e) {
      setConnection('reconnecting');
      setTimeout(boot, 1000);
    }
  }
  boot();
})();
