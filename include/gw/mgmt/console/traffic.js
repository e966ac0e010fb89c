// The console's live traffic monitor: the frames every channel writes and reads, as they are
// on the wire, from the server-sent events of /api/v1/traffic/stream (filtered on the server
// by channel, unit and function code), newest first, the last 200 kept on the page. The
// capture of what the gateway still holds downloads as pcapng for Wireshark or tshark.
'use strict';

(() => {
  const c = window.gwConsole;
  const $ = (id) => document.getElementById(id);
  const keep = 200;
  let source = null;
  let frames = [];
  let paused = false;

  function query() {
    const q = new URLSearchParams();
    for (const [key, id] of [
      ['channel', 'traffic-channel'],
      ['unit', 'traffic-unit'],
      ['function', 'traffic-function'],
    ]) {
      const v = $(id).value.trim();
      if (v) q.set(key, v);
    }
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  function time(us) {
    const d = new Date(Math.floor(us / 1000));
    const ms = String(Math.floor(us / 1000) % 1000).padStart(3, '0');
    return `${d.toLocaleTimeString()}.${ms}`;
  }

  function render() {
    c.fillTable(
      $('traffic-table'),
      [
        { label: 'Time', get: (f) => time(f.time_us) },
        { label: 'Channel', get: (f) => f.channel },
        { label: 'Direction', get: (f) => (f.direction === 'to_device' ? 'to device' : 'from device') },
        { label: 'Unit', get: (f) => (f.unit === undefined ? '' : String(f.unit)) },
        {
          label: 'Function',
          get: (f) => (f.function === undefined ? '' : f.exception ? `${f.function} (exception)` : String(f.function)),
        },
        { label: 'Bytes', get: (f) => f.hex.replace(/(..)/g, '$1 ').trim() + (f.truncated ? ' ...' : '') },
      ],
      frames,
      'No traffic yet.',
    );
    $('traffic-count').textContent = `${frames.length} frames shown${paused ? ' (paused)' : ''}`;
  }

  function stop() {
    if (source) source.close();
    source = null;
  }

  function load() {
    stop();
    frames = [];
    paused = false;
    $('traffic-pause').textContent = 'Pause';
    $('traffic-pcap').href = `/api/v1/traffic/pcap${query()}`;
    render();
    source = new EventSource(`/api/v1/traffic/stream${query()}`);
    source.onopen = () => c.showText('traffic-error', '');
    source.onmessage = (event) => {
      if (paused || c.currentView() !== 'traffic') return;
      let f;
      try {
        f = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      frames.unshift(f);
      if (frames.length > keep) frames.length = keep;
      render();
    };
    source.onerror = async () => {
      // EventSource retries by itself; a refusal (401, 400, 503) ends it: say why.
      if (source && source.readyState === EventSource.CLOSED) {
        try {
          await c.api('GET', `/api/v1/traffic${query()}${query() ? '&' : '?'}limit=1`);
          c.showText('traffic-error', 'The live stream was refused (too many viewers?). Try again later.');
        } catch (e) {
          if (e.status === 401) c.failed(e);
          else c.showText('traffic-error', e.message);
        }
      }
    };
  }

  $('traffic-apply').addEventListener('click', load);
  $('traffic-pause').addEventListener('click', () => {
    paused = !paused;
    $('traffic-pause').textContent = paused ? 'Resume' : 'Pause';
    render();
  });
  $('traffic-clear').addEventListener('click', () => {
    frames = [];
    render();
  });

  c.register('traffic', { load, stop });
})();
