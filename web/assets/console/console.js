// The rtdw web console: Overview, Jobs (a job's DAG with per-operator
// counters), Topics (with a tail), Dead letters and a SQL editor, each a
// view of the JSON API (api/overview, api/jobs, api/topics,
// api/deadletters, POST api/query), refreshed every few seconds. The body
// records what the page showed (data-page, data-status) and tables and
// the DAG carry data-* attributes, so a headless browser test can check it.
(function () {
  'use strict';

  var REFRESH_MS = 3000;
  var main = document.getElementById('main');
  var stateEl = document.getElementById('state');
  var body = document.body;
  var timer = null;
  var seq = 0; // a newer route wins over a slower older load
  var overviewCache = null;

  // --- helpers ---

  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v == null || v === false) return;
        if (k === 'text') e.textContent = v;
        else if (k === 'class') e.className = v;
        else if (k === 'onclick' || k === 'onchange' || k === 'onkeydown') e[k] = v;
        else e.setAttribute(k, v === true ? '' : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c == null) return;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return e;
  }

  var SVG = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, children) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }

  function num(v) {
    if (v == null) return '–';
    return Math.round(v).toLocaleString('en-US');
  }
  function rate(v) {
    if (!v) return '0/s';
    return (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1)) + '/s';
  }
  function bytes(v) {
    if (v == null) return '–';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (i ? v.toFixed(1) : v) + ' ' + u[i];
  }
  function ms(v) {
    if (v == null) return '–';
    return v < 10 ? v.toFixed(2) + ' ms' : v < 1000 ? Math.round(v) + ' ms' : (v / 1000).toFixed(2) + ' s';
  }
  function dur(sec) {
    sec = Math.max(0, Math.round(sec));
    if (sec < 60) return sec + 's';
    if (sec < 3600) return Math.floor(sec / 60) + 'm ' + (sec % 60) + 's';
    if (sec < 86400) return Math.floor(sec / 3600) + 'h ' + Math.floor(sec % 3600 / 60) + 'm';
    return Math.floor(sec / 86400) + 'd ' + Math.floor(sec % 86400 / 3600) + 'h';
  }
  function ago(t) {
    if (!t) return '–';
    return dur((Date.now() - new Date(t).getTime()) / 1000) + ' ago';
  }
  function pad(n) { return n < 10 ? '0' + n : '' + n; }
  function clock(msEpoch) {
    var d = new Date(msEpoch);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function watermark(v) {
    if (v == null) return '–';
    if (v >= 8.64e15) return 'end of input';
    if (v <= -8.64e15) return 'none yet';
    return clock(v);
  }
  function wmBehind(v) {
    if (v == null || v >= 8.64e15 || v <= -8.64e15) return '';
    var d = (Date.now() - v) / 1000;
    return d >= 0 ? dur(d) + ' behind now' : dur(-d) + ' ahead of now (event times in the future)';
  }
  function qs(params) {
    var p = Object.keys(params).filter(function (k) { return params[k] != null && params[k] !== ''; })
      .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); });
    return p.length ? '?' + p.join('&') : '';
  }

  function api(path, opts) {
    return fetch(path, opts || { cache: 'no-store' }).then(function (r) {
      return r.json().catch(function () { return { error: 'HTTP ' + r.status }; }).then(function (v) {
        if (!r.ok) throw new Error(v && v.error ? v.error : 'HTTP ' + r.status);
        return v;
      });
    });
  }

  function card(label, value, sub, attrs) {
    return h('div', Object.assign({ class: 'card' }, attrs || {}), [
      h('div', { class: 'label', text: label }), h('div', { class: 'value', text: value }), sub ? h('div', { class: 'sub', text: sub }) : null]);
  }

  // table builds a scrollable table: cols [{label, n (numeric)}], rows of
  // {cells: [...], attrs: {...}}.
  function table(cols, rows, attrs, empty) {
    var head = h('tr', null, cols.map(function (c) { return h('th', { class: c.n ? 'n' : null, text: c.label }); }));
    var trs = rows.map(function (r) {
      return h('tr', r.attrs, r.cells.map(function (v, i) {
        var c = cols[i] || {};
        var td = h('td', { class: c.n ? 'n' : c.cls || null });
        if (v instanceof Node) td.appendChild(v); else td.textContent = v == null ? '–' : String(v);
        return td;
      }));
    });
    if (!rows.length && empty) trs.push(h('tr', null, [h('td', { colspan: cols.length, class: 'muted', text: empty })]));
    return h('div', { class: 'panel scroll' }, [h('table', attrs, [h('thead', null, [head]), h('tbody', null, trs)])]);
  }

  function link(href, text) { return h('a', { href: href, text: text }); }

  function kindDot(kind) { return h('span', { class: 'kind ' + kind }); }

  // --- routing ---

  function route() {
    var hash = location.hash.replace(/^#/, '') || '/';
    var q = '', i = hash.indexOf('?');
    if (i >= 0) { q = hash.slice(i + 1); hash = hash.slice(0, i); }
    var parts = hash.split('/').filter(Boolean).map(decodeURIComponent);
    return { parts: parts, params: new URLSearchParams(q) };
  }

  var pages = {
    overview: { load: loadOverview },
    jobs: { load: loadJobs },
    job: { load: loadJob },
    topics: { load: loadTopics },
    topic: { load: loadTopic },
    deadletters: { load: loadDeadLetters },
    sql: { load: loadSQL, once: true }
  };

  function pageOf(r) {
    var p = r.parts;
    if (!p.length) return 'overview';
    if (p[0] === 'jobs') return p.length > 1 ? 'job' : 'jobs';
    if (p[0] === 'topics') return p.length > 1 ? 'topic' : 'topics';
    if (pages[p[0]]) return p[0];
    return 'overview';
  }

  function show(first) {
    var r = route();
    var name = pageOf(r);
    var page = pages[name];
    var my = ++seq;
    body.dataset.page = name;
    document.querySelectorAll('#nav a[data-nav]').forEach(function (a) {
      var nav = a.dataset.nav;
      a.classList.toggle('active', nav === name || nav + 's' === name || (nav === 'jobs' && name === 'job') || (nav === 'topics' && name === 'topic'));
    });
    if (timer) { clearTimeout(timer); timer = null; }
    if (first) body.dataset.status = 'loading';
    page.load(r, first).then(function (content) {
      if (my !== seq) return;
      if (content) {
        var keep = saveScroll();
        main.replaceChildren(content);
        restoreScroll(keep);
      }
      body.dataset.status = 'ok';
      body.dataset.refreshes = String(+body.dataset.refreshes + 1);
      stateEl.textContent = 'live';
      stateEl.classList.remove('error');
    }).catch(function (err) {
      if (my !== seq) return;
      body.dataset.status = 'error';
      stateEl.textContent = 'error';
      stateEl.classList.add('error');
      main.replaceChildren(h('div', { class: 'errbox', id: 'page-error', text: String(err && err.message || err) }));
    }).then(function () {
      if (my === seq && !page.once) timer = setTimeout(function () { show(false); }, REFRESH_MS);
    });
  }

  // Refreshes replace the page: keep the scroll of its scrolling parts.
  function saveScroll() {
    var out = {};
    main.querySelectorAll('[data-keep-scroll]').forEach(function (e) { out[e.dataset.keepScroll] = [e.scrollLeft, e.scrollTop]; });
    return out;
  }
  function restoreScroll(keep) {
    main.querySelectorAll('[data-keep-scroll]').forEach(function (e) {
      var k = keep[e.dataset.keepScroll];
      if (k) { e.scrollLeft = k[0]; e.scrollTop = k[1]; }
    });
  }

  function overviewInfo() {
    return api('api/overview').then(function (ov) {
      overviewCache = ov;
      document.getElementById('process').textContent = 'rtdw ' + ov.process + ' · up ' + dur(ov.uptime_s);
      document.getElementById('dashboard-link').hidden = !ov.dashboard;
      return ov;
    });
  }

  // --- Overview ---

  function loadOverview() {
    return Promise.all([overviewInfo(), api('api/jobs')]).then(function (v) {
      var ov = v[0], jobs = v[1], t = ov.totals;
      var wrap = h('div', { id: 'overview' }, [
        h('h2', { text: 'Overview' }),
        h('div', { class: 'cards' }, [
          card('Jobs', num(ov.jobs), num(ov.operators) + ' operators', { id: 'ov-jobs' }),
          card('Topics', num(ov.topics), null, { id: 'ov-topics' }),
          card('Records in', num(t.records_in), rate(t.rate_in)),
          card('Records out', num(t.records_out), rate(t.rate_out)),
          card('Consumer lag', num(t.lag), 'records behind'),
          card('Dead letters', num(t.dead_letters), 'since start'),
          card('Late records', num(t.late)),
          card('Restarts', num(t.restarts), num(t.checkpoints) + ' checkpoints'),
          card('Uptime', dur(ov.uptime_s), 'since ' + clock(new Date(ov.started).getTime()))
        ]),
        h('h3', { text: 'Jobs' }),
        jobsTable(jobs),
        h('h3', { text: 'Links' }),
        h('p', null, ov.links.map(function (l, i) {
          return h('span', null, [i ? ' · ' : '', link(l.href.replace(/^\//, ''), l.title)]);
        }).concat(ov.sql ? [' · ', link('#/sql', 'SQL editor')] : []))
      ]);
      return wrap;
    });
  }

  // --- Jobs ---

  function jobsTable(jobs) {
    var cols = [{ label: 'Job' }, { label: 'Status' }, { label: 'Operators', n: 1 }, { label: 'Tasks', n: 1 },
      { label: 'Records in', n: 1 }, { label: 'Records out', n: 1 }, { label: 'In/s', n: 1 }, { label: 'Lag', n: 1 },
      { label: 'Watermark' }, { label: 'Last checkpoint' }, { label: 'State', n: 1 }, { label: 'Restarts', n: 1 }, { label: 'Dead letters', n: 1 }];
    return table(cols, jobs.map(function (j) {
      var cp = j.checkpoint;
      return {
        attrs: { 'data-job': j.name, 'data-records-in': Math.round(j.records_in), 'data-operators': j.operators },
        cells: [link('#/jobs/' + encodeURIComponent(j.name), j.name), h('span', { class: 'badge ' + j.status, text: j.status, title: j.error || '' }),
          num(j.operators), num(j.tasks), num(j.records_in), num(j.records_out), rate(j.rate_in), j.lag_source === 'none' ? '–' : num(j.lag),
          watermark(j.watermark_ms), cp.last_at ? ago(cp.last_at) + ', ' + ms(cp.last_ms) : cp.count ? cp.count + ' (avg ' + ms(cp.avg_ms) + ')' : 'none yet',
          bytes(j.state_bytes), num(j.restarts), j.dead_letters ? link('#/deadletters?job=' + encodeURIComponent(j.name), num(j.dead_letters)) : '0']
      };
    }), { id: 'jobs' }, 'This process runs no jobs.');
  }

  function loadJobs() {
    return Promise.all([overviewInfo(), api('api/jobs')]).then(function (v) {
      return h('div', null, [h('h2', { text: 'Jobs (' + v[1].length + ')' }), jobsTable(v[1])]);
    });
  }

  function loadJob(r) {
    var name = r.parts[1];
    return Promise.all([overviewInfo(), api('api/jobs/' + encodeURIComponent(name))]).then(function (v) {
      var j = v[1], cp = j.checkpoint;
      var byName = {};
      j.nodes.forEach(function (n) { byName[n.name] = n; });
      var wrap = h('div', { id: 'job', 'data-job': j.name }, [
        h('div', { class: 'crumbs' }, [link('#/jobs', 'Jobs'), ' / ' + j.name]),
        h('h2', null, [j.name + ' ', h('span', { class: 'badge ' + j.status, text: j.status })]),
        j.error ? h('div', { class: 'errbox', text: j.error }) : null,
        h('div', { class: 'cards' }, [
          card('Records in', num(j.records_in), rate(j.rate_in)),
          card('Records out', num(j.records_out), rate(j.rate_out)),
          card('Consumer lag', j.lag_source === 'none' ? '–' : num(j.lag), j.lag_source === 'log' ? 'from committed offsets' : 'records behind'),
          card('Watermark', watermark(j.watermark_ms), wmBehind(j.watermark_ms), { class: 'card text' }),
          card('Last checkpoint', cp.last_at ? ago(cp.last_at) : cp.count ? 'before this page' : 'none yet',
            (cp.last_ms != null ? ms(cp.last_ms) + ' · ' : '') + num(cp.count) + ' done, avg ' + ms(cp.avg_ms)),
          card('State size', bytes(j.state_bytes), 'on disk (the memtable once flushed)'),
          card('Busy', j.time ? Math.round(j.time.busy_pct) + '%' : '–',
            j.time ? 'idle ' + Math.round(j.time.idle_pct) + '% · committing ' + Math.round(j.time.commit_pct) + '%' : 'of the tasks\' time, once measured'),
          card('Restarts', num(j.restarts), 'failures recovered'),
          card('Dead letters', num(j.dead_letters), 'since start'),
          card('Tasks', num(j.tasks), j.stages + ' stages · ' + j.operators + ' operators')
        ]),
        h('h3', { text: 'Job graph' }),
        h('div', { class: 'legend' }, ['source', 'operator', 'keyby', 'sink'].map(function (k) {
          return h('span', null, [kindDot(k), k === 'keyby' ? 'key by (repartition)' : k]);
        })),
        dag(j, byName),
        h('h3', { text: 'Operators' }),
        table([{ label: 'Node' }, { label: 'Kind' }, { label: 'Stage', n: 1 }, { label: 'Parallelism', n: 1 }, { label: 'Records in', n: 1 },
          { label: 'Records out', n: 1 }, { label: 'In/s', n: 1 }, { label: 'Out/s', n: 1 }, { label: 'Late', n: 1 }],
        j.nodes.map(function (n) {
          var g = graphNode(j, n.name);
          return {
            attrs: { 'data-node': n.name, 'data-kind': n.kind },
            cells: [n.name, h('span', null, [kindDot(n.kind), n.kind + (g && g.topic ? ' · ' + g.topic : '')]), n.stage, n.parallelism,
              n.records_in == null ? '–' : num(n.records_in), n.records_out == null ? '–' : num(n.records_out),
              n.records_in == null ? '–' : rate(n.rate_in), n.records_out == null ? '–' : rate(n.rate_out), num(n.late)]
          };
        }), { id: 'operators' }),
        h('h3', { text: 'Stages' }),
        table([{ label: 'Stage', n: 1 }, { label: 'Reads' }, { label: 'Tasks', n: 1 }, { label: 'Busy', n: 1 }, { label: 'Watermark' }, { label: 'Lag', n: 1 }],
          j.stage_stats.map(function (st) {
            return { attrs: { 'data-stage': st.id }, cells: [st.id, st.topics.join(', '), st.parallelism,
              st.busy_pct == null ? '–' : Math.round(st.busy_pct) + '%', watermark(st.watermark_ms), num(st.lag)] };
          }), { id: 'stages' }),
        j.lag_partitions.length ? h('h3', { text: 'Lag by partition' }) : null,
        j.lag_partitions.length ? table([{ label: 'Topic' }, { label: 'Partition', n: 1 }, { label: 'Lag', n: 1 }],
          j.lag_partitions.map(function (l) { return { cells: [link('#/topics/' + encodeURIComponent(l.topic), l.topic), l.partition, num(l.lag)] }; })) : null,
        h('h3', { text: 'Dead letters by reason (since start)' }),
        table([{ label: 'Reason' }, { label: 'Records', n: 1 }], (j.dead_letter_reasons || []).map(function (d) {
          return { cells: [link('#/deadletters' + qs({ reason: d.reason, job: j.name }), d.reason), num(d.count)] };
        }), null, 'No dead letters.')
      ]);
      return wrap;
    });
  }

  function graphNode(j, name) {
    for (var i = 0; i < j.graph.nodes.length; i++) if (j.graph.nodes[i].name === name) return j.graph.nodes[i];
    return null;
  }

  // dag draws the job graph: nodes in layers by longest path from the
  // sources, left to right (top to bottom on narrow screens), each box
  // with its kind, stage, parallelism and counters.
  function dag(j, stats) {
    var nodes = j.graph.nodes;
    var index = {};
    nodes.forEach(function (n, i) { index[n.name] = i; });
    var layer = nodes.map(function () { return 0; });
    nodes.forEach(function (n, i) { // node order is topological
      (n.inputs || []).forEach(function (e) { layer[i] = Math.max(layer[i], layer[index[e.from]] + 1); });
    });
    var layers = [];
    nodes.forEach(function (n, i) { (layers[layer[i]] = layers[layer[i]] || []).push(i); });
    var pos = {};
    layers.forEach(function (ids, l) { // order by the mean position of the inputs (fewer crossings)
      if (l > 0) {
        var key = {};
        ids.forEach(function (i) {
          var ins = (nodes[i].inputs || []).map(function (e) { return pos[index[e.from]]; });
          key[i] = ins.length ? ins.reduce(function (a, b) { return a + b; }, 0) / ins.length : 0;
        });
        ids.sort(function (a, b) { return key[a] - key[b] || a - b; });
      }
      ids.forEach(function (i, k) { pos[i] = k; });
    });
    var room = main.clientWidth || window.innerWidth;
    var vertical = room < 760;
    var widest = Math.max.apply(null, layers.map(function (l) { return l.length; }));
    var H = 76, gapL = vertical ? 46 : 64, gapN = vertical ? 14 : 20, M = 12;
    // On a narrow screen the boxes share its width (scrolling beyond 3).
    var W = vertical ? Math.max(150, Math.min(260, Math.floor((room - 2 * M - 4 - (Math.min(widest, 3) - 1) * gapN) / Math.min(widest, 3)))) : 210;
    var xy = {};
    layers.forEach(function (ids, l) {
      var off = (widest - ids.length) / 2;
      ids.forEach(function (i, k) {
        var a = l * ((vertical ? H : W) + gapL), b = (k + off) * ((vertical ? W : H) + gapN);
        xy[i] = vertical ? { x: M + b, y: M + a } : { x: M + a, y: M + b };
      });
    });
    var width = vertical ? M * 2 + widest * (W + gapN) - gapN : M * 2 + layers.length * (W + gapL) - gapL;
    var height = vertical ? M * 2 + layers.length * (H + gapL) - gapL : M * 2 + widest * (H + gapN) - gapN;
    var svg = s('svg', { id: 'dag', width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, 'data-nodes': nodes.length, 'data-orientation': vertical ? 'vertical' : 'horizontal' });
    svg.appendChild(s('defs', {}, [s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      [s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8a99ab' })])]));
    nodes.forEach(function (n, i) {
      (n.inputs || []).forEach(function (e) {
        var a = xy[index[e.from]], b = xy[i], d;
        if (vertical) {
          var x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y, my = (y1 + y2) / 2;
          d = 'M' + x1 + ',' + y1 + ' C' + x1 + ',' + my + ' ' + x2 + ',' + my + ' ' + x2 + ',' + (y2 - 1);
        } else {
          var X1 = a.x + W, Y1 = a.y + H / 2, X2 = b.x, Y2 = b.y + H / 2, mx = (X1 + X2) / 2;
          d = 'M' + X1 + ',' + Y1 + ' C' + mx + ',' + Y1 + ' ' + mx + ',' + Y2 + ' ' + (X2 - 1) + ',' + Y2;
        }
        var shuffle = nodes[index[e.from]].kind === 'keyby';
        svg.appendChild(s('path', { class: 'edge' + (shuffle ? ' shuffle' : ''), d: d, 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': n.name },
          [s('title', { text: e.from + (e.port && e.port !== 'out' ? ' [' + e.port + ']' : '') + ' → ' + n.name + (shuffle ? ' (hash partitioned)' : '') })]));
      });
    });
    var colors = { source: '#2fb18c', operator: '#3b6fd8', keyby: '#f0a030', sink: '#8e6bd1' };
    nodes.forEach(function (n, i) {
      var st = stats[n.name] || {};
      var p = xy[i];
      var lines = [];
      lines.push(n.kind + ' · stage ' + (n.kind === 'keyby' ? n.written_by + '→' + n.stage : n.stage) + ' · p=' + (st.parallelism || '?'));
      if (n.kind === 'operator') {
        lines.push('in ' + num(st.records_in) + ' · out ' + num(st.records_out));
        lines.push(rate(st.rate_in) + ' in' + (st.late ? ' · late ' + num(st.late) : ''));
      } else {
        var topic = n.topic || (n.topics || []).join(', ') || 'dynamic topics';
        lines.push(n.kind === 'keyby' ? 'repartition topic' : 'topic ' + topic);
        if (n.kind === 'keyby') lines.push(topic);
      }
      var g = s('g', { class: 'node', transform: 'translate(' + p.x + ',' + p.y + ')', 'data-node': n.name, 'data-kind': n.kind,
        'data-in': st.records_in == null ? '' : Math.round(st.records_in), 'data-out': st.records_out == null ? '' : Math.round(st.records_out) }, [
        s('title', { text: n.name + '\n' + lines.join('\n') }),
        s('rect', { class: 'box', width: W, height: H, rx: 6 }),
        s('rect', { width: 5, height: H, rx: 2, fill: colors[n.kind] || '#999' }),
        s('text', { class: 'name', x: 12, y: 18, text: clip(n.name, W, 7.4) })
      ]);
      lines.forEach(function (t, k) { g.appendChild(s('text', { class: 'meta', x: 12, y: 36 + k * 16, text: clip(t, W, 6.3) })); });
      svg.appendChild(g);
    });
    return h('div', { class: 'dag', 'data-keep-scroll': 'dag' }, [svg]);
  }

  // clip cuts a label to the box (charW: an average glyph's width).
  function clip(t, w, charW) {
    var max = Math.floor((w - 18) / charW);
    return t.length > max ? t.slice(0, max - 1) + '…' : t;
  }

  // --- Topics ---

  function loadTopics(r) {
    var all = r.params.get('all') === '1';
    return Promise.all([overviewInfo(), api('api/topics' + (all ? '?all=1' : ''))]).then(function (v) {
      var topics = v[1];
      return h('div', null, [
        h('h2', { text: 'Topics (' + topics.length + ')' }),
        h('div', { class: 'toolbar' }, [link(all ? '#/topics' : '#/topics?all=1', all ? 'Hide internal topics' : 'Show internal topics (repartition, changelog)')]),
        table([{ label: 'Topic' }, { label: 'Partitions', n: 1 }, { label: 'Records', n: 1 }, { label: 'Retention' }, { label: 'Read by' }, { label: 'Written by' }],
          topics.map(function (t) {
            return {
              attrs: { 'data-topic': t.name, 'data-records': t.records, 'data-exact': t.exact ? '1' : '0' },
              cells: [link('#/topics/' + encodeURIComponent(t.name), t.name), t.partitions, (t.exact ? '' : '≤ ') + num(t.records),
                t.retention_ms ? dur(t.retention_ms / 1000) : (t.compact ? 'compacted' : 'forever'),
                (t.read_by || []).join(', '), (t.written_by || []).join(', ')]
            };
          }), { id: 'topics' }, 'No topics yet.'),
        topics.some(function (t) { return !t.exact; }) ? h('p', { class: 'muted', text: '≤: still counting (records are read, not offsets subtracted); the next refresh reads on.' }) : null
      ]);
    });
  }

  function loadTopic(r) {
    var name = r.parts[1];
    var part = r.params.get('partition') || '';
    var limit = r.params.get('limit') || '50';
    return Promise.all([overviewInfo(), api('api/topics/' + encodeURIComponent(name)),
      api('api/topics/' + encodeURIComponent(name) + '/tail' + qs({ limit: limit, partition: part }))]).then(function (v) {
      var t = v[1], tail = v[2];
      var partSel = h('select', { onchange: function () { location.hash = '#/topics/' + encodeURIComponent(name) + qs({ partition: this.value, limit: limit }); } },
        [h('option', { value: '', text: 'all partitions', selected: part === '' })].concat(t.partition_stats.map(function (p) {
          return h('option', { value: p.partition, text: 'partition ' + p.partition, selected: String(p.partition) === part });
        })));
      return h('div', { id: 'topic', 'data-topic': t.name, 'data-records': t.records }, [
        h('div', { class: 'crumbs' }, [link('#/topics', 'Topics'), ' / ' + t.name]),
        h('h2', { text: t.name }),
        h('div', { class: 'cards' }, [
          card('Records', (t.exact ? '' : '≤ ') + num(t.records), t.exact ? null : 'still counting'),
          card('Partitions', num(t.partitions)),
          card('Retention', t.retention_ms ? dur(t.retention_ms / 1000) : (t.compact ? 'compacted' : 'forever')),
          card('Read by', (t.read_by || []).join(', ') || '–', null, { class: 'card text' }),
          card('Written by', (t.written_by || []).join(', ') || '–', null, { class: 'card text' })
        ]),
        h('h3', { text: 'Partitions' }),
        table([{ label: 'Partition', n: 1 }, { label: 'Start offset', n: 1 }, { label: 'End offset', n: 1 }, { label: 'Records', n: 1 }],
          t.partition_stats.map(function (p) { return { attrs: { 'data-partition': p.partition }, cells: [p.partition, num(p.start_offset), num(p.end_offset), (p.exact ? '' : '≤ ') + num(p.records)] }; }),
          { id: 'partitions' }),
        h('h3', { text: 'Latest records (newest first)' }),
        h('div', { class: 'toolbar' }, [partSel, h('button', { text: 'Refresh', onclick: function () { show(false); } })]),
        tailTable(tail.records, false, 'tail')
      ]);
    });
  }

  function tailTable(recs, dead, id) {
    var cols = [{ label: 'Time', cls: 'nowrap' }, { label: 'Partition', n: 1 }, { label: 'Offset', n: 1 }];
    if (dead) cols = cols.concat([{ label: 'Job / operator' }, { label: 'Reason' }, { label: 'Detail', cls: 'value' }, { label: 'Source' }]);
    else cols.push({ label: 'Key' });
    cols.push({ label: 'Value', cls: 'value' });
    return table(cols, recs.map(function (r) {
      var val = r.value == null ? 'null' : r.value + (r.truncated ? ' … (' + num(r.size) + ' bytes)' : '');
      var cells = [r.timestamp_ms ? clock(r.timestamp_ms) : '–', r.partition, r.offset];
      if (dead) cells = cells.concat([r.job + (r.operator ? ' / ' + r.operator : ''), r.reason, r.detail, r.source]);
      else cells.push(r.key == null ? 'null' : r.key);
      cells.push(val);
      return { attrs: { 'data-offset': r.offset, 'data-partition': r.partition }, cells: cells };
    }), { id: id, 'data-rows': recs.length }, 'No records.');
  }

  // --- Dead letters ---

  function loadDeadLetters(r) {
    var reason = r.params.get('reason') || '', job = r.params.get('job') || '';
    return Promise.all([overviewInfo(), api('api/deadletters' + qs({ reason: reason, job: job, limit: 100 }))]).then(function (v) {
      var d = v[1];
      var filter = (reason ? 'reason ' + reason : '') + (reason && job ? ', ' : '') + (job ? 'job ' + job : '');
      return h('div', { id: 'deadletters' }, [
        h('h2', { text: 'Dead letters' }),
        h('p', { class: 'muted', text: 'Records the jobs could not process, kept in ' + d.topics.join(', ') + ' with their reason, job, operator and source offset. "In topic" counts the topic\'s records, "since start" the engine\'s counter of this process.' }),
        d.complete ? null : h('div', { class: 'notice', text: 'Still reading the dead-letter topic: the counts grow with each refresh.' }),
        table([{ label: 'Reason' }, { label: 'Job' }, { label: 'In topic', n: 1 }, { label: 'Since start', n: 1 }],
          d.reasons.map(function (x) {
            return { attrs: { 'data-reason': x.reason, 'data-count': x.count }, cells: [link('#/deadletters' + qs({ reason: x.reason, job: x.job }), x.reason), x.job ? link('#/jobs/' + encodeURIComponent(x.job), x.job) : '–', num(x.count), num(x.since_start)] };
          }), { id: 'reasons' }, 'No dead letters: every record was processed.'),
        h('h3', null, ['Latest records' + (filter ? ' of ' + filter + ' ' : ' '), filter ? link('#/deadletters', '(all)') : null]),
        tailTable(d.records, true, 'dead-records')
      ]);
    });
  }

  // --- SQL ---

  var lastSQL = null;

  function loadSQL(r) {
    return overviewInfo().then(function (ov) {
      var preset = r.params.get('q');
      var area = h('textarea', { id: 'sql', spellcheck: 'false', placeholder: 'SELECT ... (one read-only statement; Ctrl+Enter runs it)' });
      area.value = preset != null ? preset : (lastSQL != null ? lastSQL : (ov.tables && ov.tables.length ? 'SELECT * FROM ' + ov.tables[0] + ' LIMIT 100' : 'SELECT 42 AS answer'));
      var out = h('div', { id: 'sql-out' });
      var status = h('div', { id: 'sql-status', class: 'muted', 'data-status': 'idle', text: ov.sql ? 'Ready.' : 'No OLAP database in this process: queries will fail.' });
      function run() {
        lastSQL = area.value;
        status.dataset.status = 'running';
        status.className = 'muted';
        status.textContent = 'Running…';
        return api('api/query', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sql: area.value }) }).then(function (res) {
          status.dataset.status = 'ok';
          status.textContent = res.rows.length + ' row' + (res.rows.length === 1 ? '' : 's') + (res.truncated ? ' (first ' + res.max_rows + ' shown)' : '') + ' in ' + ms(res.elapsed_ms);
          out.replaceChildren(table(res.columns.map(function (c, i) {
            var t = res.types[i];
            return { label: c, n: res.rows.length && typeof res.rows[0][i] === 'number' && t !== 'date' && t !== 'datetime' };
          }), res.rows.map(function (row) {
            return { cells: row.map(function (v) { return v == null ? 'NULL' : typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 6 }) : String(v); }) };
          }), { id: 'result', 'data-rows': res.rows.length, 'data-columns': res.columns.length }, 'No rows.'));
        }).catch(function (err) {
          status.dataset.status = 'error';
          status.className = 'errbox';
          status.textContent = String(err.message || err);
          out.replaceChildren();
        });
      }
      area.onkeydown = function (e) { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } };
      var tables = (ov.tables || []).map(function (t) {
        return h('button', { text: t, title: 'SELECT * FROM ' + t, onclick: function () { area.value = 'SELECT * FROM ' + t + ' LIMIT 100'; run(); } });
      });
      var page = h('div', { id: 'sqlpage' }, [
        h('h2', { text: 'SQL' }),
        h('p', { class: 'muted', text: 'Read-only queries against the OLAP tables (the same confined path as rtdw query: no files, extensions or settings; every statement rolled back). One statement at a time, at most ' + num(ov.max_rows || 1000) + ' rows shown.' }),
        tables.length ? h('div', { class: 'tables' }, [h('span', { class: 'muted', text: 'Tables: ' })].concat(tables)) : null,
        area,
        h('div', { class: 'toolbar' }, [h('button', { class: 'primary', id: 'run', text: 'Run (Ctrl+Enter)', onclick: run }), status]),
        out
      ]);
      if (preset != null && preset !== '') {
        // A link with ?q= runs its query: the page is ready when it has.
        return run().then(function () { return page; });
      }
      return page;
    });
  }

  window.addEventListener('hashchange', function () { show(true); });
  show(true);
})();
