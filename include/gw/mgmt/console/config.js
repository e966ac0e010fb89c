// The console's configuration editor: one top-level key of the configuration at a time, as the
// JSON the file holds. Saving sends it to PUT /api/v1/config/KEY; the gateway reads it as it
// reads the file (a refusal names the JSON path of the value), applies it live and saves it.
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
      const writable = c.can(k.section, 'write') && k.live && state.editable;
      $('config-save').disabled = !writable;
      c.showText(
        'config-hint',
        !state.editable
          ? state.whyNot
          : !k.live
            ? `${k.key} applies at start only: edit the file and restart the gateway.`
            : !c.can(k.section, 'write')
              ? `Your role may read ${k.key} but not change it (section ${k.section}).`
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
        answer.changed ? `${k.key} applied and saved to ${answer.file}.` : `${k.key}: no change.`,
        false,
      );
      await loadKey();
    } catch (e) {
      if (e.status === 401) {
        c.failed(e);
        return;
      }
      const where = e.body && e.body.path ? `${e.body.path}: ` : '';
      c.showText('config-error', where + e.message);
    }
  });

  c.register('config', { load });
})();
