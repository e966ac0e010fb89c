// The console's certificate view: what the console serves (source, subject, validity, key),
// an import form for a PEM certificate and its key (files chosen here are read in the page and
// sent as JSON; nothing is uploaded as a form), and a button that makes a new self-signed one.
// The gateway checks the pair (key type and size, the key is the certificate's, not expired)
// before anything changes; new connections get the new certificate at once.
'use strict';

(() => {
  const c = window.gwConsole;
  const $ = (id) => document.getElementById(id);

  function show(info) {
    const rows = [
      ['Source', info.source],
      ['Subject', info.subject],
      ['Issuer', info.issuer],
      ['Valid from', info.not_before],
      ['Valid until', info.not_after],
      ['Days left', info.days_left],
      ['Key', info.key],
      ['Self-signed', info.self_signed],
      ['IP addresses', (info.ip_addresses || []).join(', ')],
      ['File', info.file],
    ];
    c.fillTable(
      $('certificate-table'),
      [
        { label: 'Field', get: (r) => r[0] },
        { label: 'Value', get: (r) => (typeof r[1] === 'boolean' ? (r[1] ? 'yes' : 'no') : r[1] === undefined ? '' : String(r[1])) },
      ],
      rows,
      '',
    );
    c.showText('certificate-warning', info.warning || info.error || '');
    const writable = c.can('security', 'write') && info.source !== 'configured';
    $('certificate-form').hidden = !writable;
    $('certificate-regenerate').hidden = !writable;
    c.showText(
      'certificate-hint',
      info.source === 'configured' ? 'This certificate is set in the configuration file (management.certificate).' : '',
    );
  }

  async function load() {
    try {
      const info = await c.api('GET', '/api/v1/certificate');
      if (c.currentView() === 'certificate') show(info);
    } catch (e) {
      c.failed(e);
    }
  }

  async function text(inputId) {
    const file = $(inputId).files[0];
    return file ? file.text() : '';
  }

  c.onSubmit('certificate-form', async () => {
    c.showText('certificate-error', '');
    try {
      const certificate = await text('certificate-file');
      const key = await text('certificate-key');
      const info = await c.api('POST', '/api/v1/certificate', { certificate, private_key: key });
      $('certificate-form').reset();
      show(info);
      c.notice('Certificate imported: new connections use it now.', false);
    } catch (e) {
      if (e.status === 401) c.failed(e);
      else c.showText('certificate-error', e.message);
    }
  });

  $('certificate-regenerate').addEventListener('click', async () => {
    c.showText('certificate-error', '');
    try {
      show(await c.api('POST', '/api/v1/certificate/regenerate'));
      c.notice('A new self-signed certificate is in use: your browser will warn about it once.', false);
    } catch (e) {
      if (e.status === 401) c.failed(e);
      else c.showText('certificate-error', e.message);
    }
  });

  c.register('certificate', { load });
})();
