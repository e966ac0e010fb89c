// The gw gateway console: a single page over the JSON API /api/v1 of the same origin.
// Everything from the server is put into the page with textContent, never parsed as markup.
// The session cookie is HttpOnly; the CSRF token every POST, PUT and DELETE carries is kept in
// sessionStorage so that a reload of the tab keeps working.
//
// A part of the console kept in its own file (config.js, traffic.js, ...) adds a view through
// window.gwConsole.register(name, {load, stop}); its nav button carries data-view=name and
// data-section=the API section whose read right shows it. Those scripts run after this one
// (all are deferred) and before start(), which waits for DOMContentLoaded.
'use strict';

(() => {
  const screens = ['setup-view', 'login-view', 'password-view', 'main'];
  const csrfKey = 'gw_csrf_token';
  const statusPeriodMs = 2000;

  const state = {
    csrf: sessionStorage.getItem(csrfKey) || '',
    account: '',
    role: '',
    rights: {},
    screen: '',
    view: '',
    statusTimer: 0,
    statusBusy: false,
  };

  const $ = (id) => document.getElementById(id);

  class ApiError extends Error {
    constructor(status, body) {
      super(body && typeof body.error === 'string' ? body.error : `HTTP ${status}`);
      this.status = status;
      this.body = body || {};
    }
  }

  // One request; the parsed JSON body (null for 204), or an ApiError with the server's message.
  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (method !== 'GET') headers['X-CSRF-Token'] = state.csrf;
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, { error: 'The gateway cannot be reached.' });
    }
    let data = null;
    if (response.status !== 204) {
      const text = await response.text();
      if (text) {
        try {
          data = JSON.parse(text);
        } catch (e) {
          data = null;
        }
      }
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  // --- small DOM helpers ----------------------------------------------------------------------

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function button(text, className, onClick) {
    const b = el('button', text, className);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  function showText(id, text) {
    const node = $(id);
    node.textContent = text || '';
    node.hidden = !text;
  }

  function notice(text, isError) {
    const node = $('notice');
    node.className = isError ? 'error' : 'info';
    showText('notice', text);
  }

  // A scalar for a table cell: null and undefined as an empty cell, booleans as yes/no.
  function scalar(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'boolean') return value ? 'yes' : 'no';
    return String(value);
  }

  function isScalar(value) {
    return value === null || ['string', 'number', 'boolean'].includes(typeof value);
  }

  // Fills a table: columns are {label, get(row) -> string | Node}.
  function fillTable(table, columns, rows, empty) {
    const head = table.tHead || table.createTHead();
    const body = table.tBodies[0] || table.createTBody();
    const headRow = el('tr');
    for (const c of columns) {
      const th = el('th', c.label);
      th.scope = 'col';
      headRow.append(th);
    }
    head.replaceChildren(headRow);
    const trs = rows.map((row) => {
      const tr = el('tr');
      for (const c of columns) {
        const value = c.get(row);
        const td = el('td');
        if (value instanceof Node) td.append(value);
        else td.textContent = scalar(value);
        tr.append(td);
      }
      return tr;
    });
    if (trs.length === 0) {
      const td = el('td', empty || 'Nothing to show.', 'empty');
      td.colSpan = columns.length;
      const tr = el('tr');
      tr.append(td);
      trs.push(tr);
    }
    body.replaceChildren(...trs);
  }

  function badge(ok, yes, no) {
    return el('span', ok ? yes : no, ok ? 'badge pass' : 'badge fail');
  }

  function ago(seconds) {
    if (typeof seconds !== 'number') return scalar(seconds);
    if (seconds < 120) return `${Math.round(seconds)} s`;
    if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
    return `${Math.round(seconds / 3600)} h`;
  }

  // --- screens ----------------------------------------------------------------------------------

  function show(screen) {
    state.screen = screen;
    for (const id of screens) $(id).hidden = id !== screen;
    $('session-bar').hidden = screen !== 'main';
    if (screen !== 'main') {
      if (state.view && stoppers[state.view]) stoppers[state.view]();
      state.view = '';
      stopStatus();
    }
  }

  function rememberCsrf(token) {
    state.csrf = token || '';
    if (state.csrf) sessionStorage.setItem(csrfKey, state.csrf);
    else sessionStorage.removeItem(csrfKey);
  }

  function showLogin(message) {
    rememberCsrf('');
    state.account = '';
    state.role = '';
    showText('login-error', '');
    $('login-password').value = '';
    show('login-view');
    if (message) notice(message, true);
    $('login-name').focus();
  }

  // The server's answer to login or GET /session: the password first if it must change.
  function enterSession(s) {
    rememberCsrf(s.csrf_token);
    state.account = s.account || '';
    state.role = s.role || '';
    state.rights = s.rights && typeof s.rights === 'object' ? s.rights : {};
    if (s.must_change_password) {
      showText('password-error', '');
      show('password-view');
      $('password-current').focus();
      return;
    }
    showMain();
  }

  // Whether the session's role has `right` ('read' or 'write') on an API section; the server
  // checks again on every request, this only spares buttons that would be refused.
  function can(section, right) {
    const has = state.rights[section];
    if (right === 'write') return has === 'write';
    return has === 'read' || has === 'write';
  }

  function visible(view) {
    const b = document.querySelector(`nav button[data-view="${view}"]`);
    return b !== null && !b.hidden && loaders[view] !== undefined;
  }

  function showMain() {
    $('whoami').textContent = `${state.account} (${state.role})`;
    for (const b of document.querySelectorAll('nav [data-section]'))
      b.hidden = !can(b.dataset.section, 'read');
    show('main');
    showView('dashboard');
  }

  // A failure inside the main view: a 401 means the session is gone (expired, terminated).
  function failed(e) {
    if (e.status === 401) {
      showLogin('Your session has ended.');
      return;
    }
    notice(e.message, true);
  }

  // --- main views -------------------------------------------------------------------------------

  const loaders = {
    dashboard: loadDashboard,
    status: loadStatus,
    audit: loadAudit,
    accounts: loadAccounts,
    sessions: loadSessions,
  };
  // The views of other files: what to call when the view is left.
  const stoppers = {};

  function showView(view) {
    if (!visible(view)) view = 'dashboard';
    if (state.view && stoppers[state.view]) stoppers[state.view]();
    state.view = view;
    stopStatus();
    showText('notice', '');
    for (const section of document.querySelectorAll('#main .view'))
      section.hidden = section.id !== `view-${view}`;
    for (const b of document.querySelectorAll('nav button')) {
      if (b.dataset.view === view) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    loaders[view]();
  }

  async function loadDashboard() {
    try {
      const data = await api('GET', '/api/v1/dashboard');
      if (state.view !== 'dashboard') return;
      fillTable(
        $('dashboard-table'),
        [
          { label: 'Check', get: (c) => c.title },
          { label: 'Result', get: (c) => badge(c.passed === true, 'pass', 'fail') },
          { label: 'Detail', get: (c) => c.detail },
          { label: 'Fix', get: (c) => c.fix },
        ],
        (data && data.checks) || [],
        'No checks.',
      );
    } catch (e) {
      failed(e);
    }
  }

  // Status is rendered without knowing its schema: every top-level array of objects becomes a
  // table of the objects' scalar fields, everything else a key/value list (nested objects with
  // dotted keys), so new counters appear without a console change.
  function flatten(prefix, value, out) {
    if (isScalar(value)) {
      out.push([prefix, scalar(value)]);
    } else if (Array.isArray(value)) {
      if (value.every(isScalar)) out.push([prefix, value.map(scalar).join(', ')]);
      else value.forEach((v, i) => flatten(`${prefix}[${i}]`, v, out));
    } else {
      for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
    }
  }

  function isTable(value) {
    return (
      Array.isArray(value) &&
      value.length > 0 &&
      value.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v))
    );
  }

  function renderStatus(data) {
    const parts = [];
    const pairs = [];
    for (const [key, value] of Object.entries(data || {})) {
      if (isTable(value)) {
        const columns = [];
        for (const row of value)
          for (const [k, v] of Object.entries(row)) if (isScalar(v) && !columns.includes(k)) columns.push(k);
        const table = el('table');
        table.id = `status-${key}`;
        table.append(el('caption', key));
        fillTable(
          table,
          columns.map((k) => ({ label: k, get: (row) => row[k] })),
          value,
        );
        parts.push(table);
      } else {
        flatten(key, value, pairs);
      }
    }
    if (pairs.length > 0) {
      const dl = el('dl', null, 'pairs');
      for (const [k, v] of pairs) dl.append(el('dt', k), el('dd', v));
      parts.unshift(dl);
    }
    $('status-view').replaceChildren(...parts);
  }

  function stopStatus() {
    clearTimeout(state.statusTimer);
    state.statusTimer = 0;
  }

  // The next refresh is planned once the previous one answered, and only while the view is
  // shown and the tab visible: a slow gateway is never asked twice at once.
  function planStatus() {
    stopStatus();
    if (state.view === 'status' && !document.hidden)
      state.statusTimer = setTimeout(loadStatus, statusPeriodMs);
  }

  async function loadStatus() {
    if (state.statusBusy) return;
    state.statusBusy = true;
    stopStatus();
    try {
      const data = await api('GET', '/api/v1/status');
      if (state.view === 'status') renderStatus(data);
    } catch (e) {
      failed(e);
    } finally {
      state.statusBusy = false;
      planStatus();
    }
  }

  async function loadAudit() {
    const query = new URLSearchParams({
      limit: '200',
      category: $('audit-category').value,
      severity: $('audit-severity').value,
    });
    try {
      const data = await api('GET', `/api/v1/audit?${query}`);
      if (state.view !== 'audit') return;
      // Newest first, whatever order the server sent.
      const records = ((data && data.records) || []).slice().sort((a, b) => b.seq - a.seq);
      const fields = ['seq', 'time', 'category', 'severity', 'type', 'source', 'peer', 'identity', 'outcome', 'detail'];
      fillTable(
        $('audit-table'),
        fields.map((f) =>
          f === 'severity'
            ? { label: f, get: (r) => el('span', r.severity, `severity ${scalar(r.severity)}`) }
            : { label: f, get: (r) => r[f] },
        ),
        records,
        'No records.',
      );
    } catch (e) {
      failed(e);
    }
  }

  async function accountAction(method, path, done) {
    try {
      await api(method, path);
      notice(done, false);
      await loadAccounts(true);
    } catch (e) {
      failed(e);
    }
  }

  async function loadAccounts(keepError) {
    try {
      const data = await api('GET', '/api/v1/accounts');
      if (state.view !== 'accounts') return;
      if (keepError !== true) showText('account-error', '');
      // The roles an account may be given: the built-in ones and the configuration's own.
      const select = $('account-role');
      const chosen = select.value;
      if (data && Array.isArray(data.roles)) {
        const roles = ['operator', ...data.roles.filter((r) => r !== 'operator')];
        select.replaceChildren(...roles.map((r) => el('option', r)));
        if (roles.includes(chosen)) select.value = chosen;
      }
      fillTable(
        $('accounts-table'),
        [
          { label: 'Name', get: (a) => a.name },
          { label: 'Role', get: (a) => a.role },
          { label: 'Must change password', get: (a) => a.must_change_password },
          { label: 'Last login', get: (a) => (a.last_login === null || a.last_login === undefined ? 'never' : a.last_login) },
          {
            label: 'Actions',
            get: (a) => {
              const cell = document.createDocumentFragment();
              const name = encodeURIComponent(a.name);
              const unlock = button('Unlock', 'account-unlock', () =>
                accountAction('POST', `/api/v1/accounts/${name}/unlock`, `${a.name} unlocked.`),
              );
              unlock.dataset.account = a.name;
              const remove = button('Delete', 'account-delete danger', () => {
                if (!window.confirm(`Delete the account ${a.name}?`)) return;
                accountAction('DELETE', `/api/v1/accounts/${name}`, `${a.name} deleted.`);
              });
              remove.dataset.account = a.name;
              cell.append(unlock, ' ', remove);
              return cell;
            },
          },
        ],
        (data && data.accounts) || [],
        'No accounts.',
      );
    } catch (e) {
      failed(e);
    }
  }

  async function loadSessions() {
    try {
      const data = await api('GET', '/api/v1/sessions');
      if (state.view !== 'sessions') return;
      fillTable(
        $('sessions-table'),
        [
          { label: 'Account', get: (s) => s.account },
          { label: 'Role', get: (s) => s.role },
          { label: 'Source', get: (s) => s.source },
          { label: 'Started', get: (s) => `${ago(s.created_s_ago)} ago` },
          { label: 'Idle', get: (s) => ago(s.idle_s) },
          { label: 'Id', get: (s) => s.id_prefix },
          {
            label: 'Actions',
            get: (s) => {
              const b = button('Terminate', 'session-terminate danger', async () => {
                try {
                  await api('DELETE', `/api/v1/sessions/${encodeURIComponent(s.id_prefix)}`);
                  notice(`Session of ${s.account} terminated.`, false);
                  await loadSessions();
                } catch (e) {
                  failed(e);
                }
              });
              b.dataset.session = s.id_prefix;
              return b;
            },
          },
        ],
        (data && data.sessions) || [],
        'No sessions.',
      );
    } catch (e) {
      failed(e);
    }
  }

  // --- forms ------------------------------------------------------------------------------------

  // Runs `work` for a form's submit with its submit button disabled, so a double click sends once.
  function onSubmit(formId, work) {
    const form = $(formId);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const submit = form.querySelector('button[type="submit"]');
      submit.disabled = true;
      try {
        await work();
      } finally {
        submit.disabled = false;
      }
    });
  }

  onSubmit('setup-form', async () => {
    const name = $('setup-name').value;
    const password = $('setup-password').value;
    if (password !== $('setup-confirm').value) {
      showText('setup-error', 'The passwords do not match.');
      return;
    }
    try {
      await api('POST', '/api/v1/setup', { name, password });
      $('setup-form').reset();
      showLogin();
      $('login-name').value = name;
      $('login-password').focus();
      notice(`Administrator ${name} created. Log in with the new password.`, false);
    } catch (e) {
      if (e.status === 409) {
        showLogin('An administrator exists already: log in.');
        return;
      }
      showText('setup-error', e.message);
    }
  });

  onSubmit('login-form', async () => {
    showText('login-error', '');
    showText('notice', '');
    try {
      const s = await api('POST', '/api/v1/login', {
        name: $('login-name').value,
        password: $('login-password').value,
      });
      $('login-password').value = '';
      enterSession(s);
      if (typeof s.password_expires_in_days === 'number' && !s.must_change_password) {
        const days = s.password_expires_in_days;
        notice(`Your password expires in ${days} day${days === 1 ? '' : 's'}.`, false);
      }
    } catch (e) {
      let text = e.message;
      if (e.status === 429 && typeof e.body.retry_after_s === 'number')
        text += ` Try again in ${Math.ceil(e.body.retry_after_s)} s.`;
      showText('login-error', text);
    }
  });

  onSubmit('password-form', async () => {
    showText('password-error', '');
    const current = $('password-current').value;
    const next = $('password-new').value;
    if (next !== $('password-confirm').value) {
      showText('password-error', 'The new passwords do not match.');
      return;
    }
    try {
      await api('POST', '/api/v1/password', { current, new: next });
      $('password-form').reset();
      enterSession(await api('GET', '/api/v1/session'));
      notice('Password changed.', false);
    } catch (e) {
      if (e.status === 401) showLogin('Your session has ended.');
      else showText('password-error', e.message);
    }
  });

  onSubmit('account-form', async () => {
    showText('account-error', '');
    const name = $('account-name').value;
    try {
      await api('POST', '/api/v1/accounts', {
        name,
        role: $('account-role').value,
        password: $('account-password').value,
      });
      $('account-form').reset();
      notice(`Account ${name} added; it must change its password at first login.`, false);
      await loadAccounts(true);
    } catch (e) {
      if (e.status === 401) failed(e);
      else showText('account-error', e.message);
    }
  });

  // --- wiring -----------------------------------------------------------------------------------

  for (const b of document.querySelectorAll('nav button'))
    b.addEventListener('click', () => showView(b.dataset.view));
  $('status-refresh').addEventListener('click', loadStatus);
  $('audit-refresh').addEventListener('click', loadAudit);
  $('audit-category').addEventListener('change', loadAudit);
  $('audit-severity').addEventListener('change', loadAudit);

  $('logout').addEventListener('click', async () => {
    try {
      await api('POST', '/api/v1/logout');
    } catch (e) {
      // Ended either way: a 401 here means the session was gone already.
    }
    showLogin();
    notice('Logged out.', false);
  });

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) stopStatus();
    else if (state.view === 'status') loadStatus();
  });

  // On load: first-run setup if no administrator exists, else the session or the login form.
  async function start() {
    try {
      const setup = await api('GET', '/api/v1/setup');
      showText('login-message', setup && setup.login_message);
      if (setup && setup.needed) {
        show('setup-view');
        $('setup-name').focus();
        return;
      }
    } catch (e) {
      notice(e.message, true);
    }
    try {
      enterSession(await api('GET', '/api/v1/session'));
    } catch (e) {
      showLogin(e.status === 401 ? '' : e.message);
    }
  }

  // What the console's other scripts use.
  window.gwConsole = Object.freeze({
    api,
    el,
    button,
    fillTable,
    badge,
    notice,
    failed,
    showText,
    onSubmit,
    can,
    currentView: () => state.view,
    register(view, part) {
      loaders[view] = part.load;
      if (part.stop) stoppers[view] = part.stop;
    },
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
