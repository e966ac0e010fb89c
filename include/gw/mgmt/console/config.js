// The console's configuration editor: one top-level key of the configuration at a time, as the
// JSON the file holds. Saving sends it to PUT /api/v1/config/KEY; the gateway reads it as it
// reads the file (a refusal names the JSON path of the value), applies it live and saves it,
// or (what applies at start only) saves it for the next start: those are listed with a
// restart button (POST /api/v1/restart).
'use strict';

(() => {
  const c = window.gwConsole;
  const $ = (id) => document.getElementById(id);
  let keys = [];
  const state = { editable: false, whyNot: '', file: '' };

  function selected() {
    return keys.find((k) => k.key === $('config-key').value);
  }

  // The chosen key's value into the editor, and whether this role may save it.
  async function loadKey() {
    const k = selected();
    c.showText('config-error', '');
    if (!k) return;
    try {
      const value = await c.api('GET', `/api/v1/config/${encodeURIComponent(k.key)}`);
      if (c.currentView() !== 'config') return;
      $('config-value').value = JSON.stringify(value, null, 2);
      const writable = c.can(k.section, 'write') && state.editable;
      $('config-save').disabled = !writable;
      c.showText(
        'config-hint',
        !state.editable
          ? state.whyNot
          : !c.can(k.section, 'write')
            ? `Your role may read ${k.key} but not change it (section ${k.section}).`
            : !k.live
              ? `${k.key} applies at start only: a change is saved to ${state.file} and waits for a restart.`
              : `Changes apply at once and are saved to ${state.file}.`,
      );
    } catch (e) {
      c.failed(e);
    }
  }

  async function load() {
    try {
      const data = await c.api('GET', '/api/v1/config');
      if (c.currentView() !== 'config') return;
      state.editable = data.editable === true;
      state.whyNot = data.why_not || '';
      state.file = data.file || '';
      keys = (data.keys || []).filter((k) => c.can(k.section, 'read'));
      const pending = data.pending_restart || [];
      $('config-pending').hidden = pending.length === 0;
      $('config-pending-list').replaceChildren(
        ...pending.map((p) => c.el('li', `${p.key}: ${p.why}`)),
      );
      $('config-restart').disabled = !c.can('services', 'write');
      const select = $('config-key');
      const previous = select.value;
      select.replaceChildren(...keys.map((k) => c.el('option', k.key)));
      if (keys.some((k) => k.key === previous)) select.value = previous;
      await loadKey();
    } catch (e) {
      c.failed(e);
    }
  }

  $('config-key').addEventListener('change', loadKey);
  $('config-revert').addEventListener('click', loadKey);

  c.onSubmit('config-form', async () => {
    const k = selected();
    if (!k) return;
    let value;
    try {
      value = JSON.parse($('config-value').value);
    } catch (e) {
      c.showText('config-error', `Not JSON: ${e.message}`);
      return;
    }
    try {
      const answer = await c.api('PUT', `/api/v1/config/${encodeURIComponent(k.key)}`, value);
      c.showText('config-error', '');
      c.notice(
        !answer.changed
          ? `${k.key}: no change.`
          : answer.applied
            ? `${k.key} applied and saved to ${answer.file}.`
            : `${k.key} saved to ${answer.file}; it applies at the next start (${answer.restart_required}).`,
        false,
      );
      await load();
    } catch (e) {
      if (e.status === 401) {
        c.failed(e);
        return;
      }
      const where = e.body && e.body.path ? `${e.body.path}: ` : '';
      c.showText('config-error', where + e.message);
    }
  });

  $('config-restart').addEventListener('click', async () => {
    if (!window.confirm('Restart the gateway? Connections are closed and opened again.')) return;
    try {
      await c.api('POST', '/api/v1/restart');
      c.notice('The gateway is restarting: log in again in a few seconds.', false);
    } catch (e) {
      c.failed(e);
    }
  });

  c.register('config', { load });
})();
