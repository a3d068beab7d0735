// The gmall real-time dashboard: one card per indicator of GET /api/ads,
// refreshed every few seconds from GET /api/ads/<name>?date=yyyy-MM-dd.
// Each card records what it showed in data-* attributes (status, rows,
// drawn points, chart kind) so a headless browser test can check it.
(function () {
  'use strict';

  var REFRESH_MS = 5000;
  var API = '../api/ads';
  var WIDE = { province_gmv: true, hourly_traffic: true };
  var LABELS = {
    gmv: 'GMV', order_amount: 'Order amount', order_count: 'Orders', uv: 'Visitors (UV)', pv: 'Page views',
    new_uv: 'New visitors', sessions: 'Sessions', pv_per_session: 'PV / session',
    avg_duration_s: 'Avg duration (s)', searches: 'Searches', users: 'Users', new_users: 'New users',
    refunds: 'Refunds', ch: 'Channel', visitor: 'Visitor', hour_of_day: 'Hour',
    category2_name: 'Category 2', category1_name: 'Category 1'
  };
  var MONEY = { gmv: true, order_amount: true };
  var PALETTE = ['#3b6fd8', '#2fb18c', '#f0a030', '#d9534f', '#8e6bd1', '#1fa2c8', '#7f8c8d', '#e67e22'];

  var assets = window.rtdwAssets || {};
  var hasCharts = !!(window.echarts && assets.echarts);
  var grid = document.getElementById('grid');
  var dayInput = document.getElementById('day');
  var cards = [];
  var inflight = false;
  // pinned is the day the user chose (?date= or the date input); empty
  // follows today, as the server's business time zone decides it.
  var pinned = new URLSearchParams(location.search).get('date') || '';

  function label(col) { return LABELS[col] || col.replace(/_/g, ' '); }

  function fmt(v, col) {
    if (typeof v !== 'number') return v == null ? '–' : String(v);
    if (MONEY[col]) return v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function buildCards(indicators) {
    indicators.forEach(function (ind) {
      var card = el('section', 'card' + (WIDE[ind.name] ? ' wide' : ''));
      card.dataset.indicator = ind.name;
      card.dataset.status = 'pending';
      card.dataset.rows = '0';
      card.dataset.drawn = '0';
      card.appendChild(el('h2', null, ind.title));
      var body = el('div', 'body');
      card.appendChild(body);
      grid.appendChild(card);
      cards.push({ ind: ind, card: card, body: body, chart: null });
    });
  }

  // --- renderers: each draws res into c and returns the points drawn ---

  function chartOf(c) {
    if (!c.chart) {
      c.body.textContent = '';
      var div = el('div', 'chart');
      c.body.appendChild(div);
      c.chart = echarts.init(div);
    }
    return c.chart;
  }

  function dropChart(c) {
    if (c.chart) { c.chart.dispose(); c.chart = null; }
  }

  function hasValue(d) {
    var v = d != null && typeof d === 'object' && !Array.isArray(d) ? d.value : d;
    return v != null && v !== '-' && !(typeof v === 'number' && isNaN(v));
  }

  // drawOption sets opt and returns how many rows the chart holds, as
  // ECharts reports them back (the longest series, counting valued items).
  function drawOption(c, opt) {
    var chart = chartOf(c);
    chart.setOption(opt, true);
    var n = 0;
    (chart.getOption().series || []).forEach(function (s) {
      n = Math.max(n, (s.data || []).filter(hasValue).length);
    });
    return n;
  }

  function number(c, res) {
    dropChart(c);
    var v = res.rows.length ? res.rows[0][0] : null;
    var box = el('div', 'number');
    box.appendChild(el('div', 'value', (MONEY[res.columns[0]] ? '¥' : '') + fmt(v, res.columns[0])));
    box.appendChild(el('div', 'label', label(res.columns[0]) + ' on ' + res.date));
    c.body.textContent = '';
    c.body.appendChild(box);
    return v == null ? 0 : 1;
  }

  function table(c, res) {
    dropChart(c);
    var t = el('table');
    var head = el('tr');
    res.columns.forEach(function (col, i) { head.appendChild(el('th', i ? 'n' : null, label(col))); });
    t.appendChild(head);
    res.rows.forEach(function (row) {
      var tr = el('tr');
      row.forEach(function (v, i) { tr.appendChild(el('td', typeof v === 'number' ? 'n' : null, fmt(v, res.columns[i]))); });
      t.appendChild(tr);
    });
    c.body.textContent = '';
    c.body.appendChild(t);
    return res.rows.length;
  }

  function tooltipRows(res) {
    return function (p) {
      var row = res.rows[p.dataIndex] || [];
      return res.columns.map(function (col, i) { return label(col) + ': ' + fmt(row[i], col); }).join('<br>');
    };
  }

  function ranking(c, res) {
    var rows = res.rows.slice().reverse(); // largest on top
    var col = res.columns[1];
    return drawOption(c, {
      color: PALETTE,
      grid: { left: 8, right: 76, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', minInterval: counts(res) ? 1 : 0, splitLine: { lineStyle: { color: '#eef1f5' } } },
      // Long names (SKUs) are cut; the tooltip has them whole.
      yAxis: { type: 'category', data: rows.map(function (r) { return r[0]; }),
        axisLabel: { width: 130, overflow: 'truncate' } },
      series: [{ type: 'bar', name: label(col), data: rows.map(function (r) { return r[1]; }),
        label: { show: true, position: 'right', formatter: function (p) { return fmt(p.value, col); } } }]
    });
  }

  function series(res, type) {
    return res.columns.slice(1).map(function (col, i) {
      return { type: type, name: label(col), data: res.rows.map(function (r) { return r[i + 1]; }) };
    });
  }

  // counts is whether every measure is a whole number (axis ticks too).
  function counts(res) {
    return res.rows.every(function (r) { return r.slice(1).every(function (v) { return v === Math.round(v); }); });
  }

  function bar(c, res) {
    var many = res.columns.length > 2;
    return drawOption(c, {
      color: PALETTE,
      grid: { left: 8, right: 8, top: many ? 32 : 20, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis' },
      legend: { top: 0, show: many },
      xAxis: { type: 'category', data: res.rows.map(function (r) { return r[0]; }) },
      yAxis: { type: 'value', minInterval: counts(res) ? 1 : 0 },
      series: series(res, 'bar').map(function (s) { s.label = { show: true, position: 'top' }; return s; })
    });
  }

  // hours fills the hours between the first and the last with zeros: an
  // hour without windows had no traffic.
  function hours(res) {
    if (!res.rows.length) return res;
    var by = {};
    res.rows.forEach(function (r) { by[r[0]] = r; });
    var rows = [];
    for (var h = res.rows[0][0]; h <= res.rows[res.rows.length - 1][0]; h++) {
      rows.push(by[h] || [h].concat(res.columns.slice(1).map(function () { return 0; })));
    }
    return { columns: res.columns, rows: rows, date: res.date };
  }

  function line(c, res) {
    res = hours(res);
    return drawOption(c, {
      color: PALETTE,
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      xAxis: { type: 'category', boundaryGap: false, data: res.rows.map(function (r) { return ('0' + r[0]).slice(-2) + ':00'; }) },
      yAxis: { type: 'value' },
      series: series(res, 'line')
    });
  }

  function pie(c, res) {
    return drawOption(c, {
      color: PALETTE,
      tooltip: { trigger: 'item', formatter: tooltipRows(res) },
      legend: { bottom: 0 },
      series: [{ type: 'pie', radius: ['40%', '68%'], label: { formatter: '{b}: {d}%' },
        data: res.rows.map(function (r) { return { name: r[0], value: r[1] }; }) }]
    });
  }

  function funnel(c, res) {
    var first = res.rows.length ? res.rows[0][1] : 0;
    return drawOption(c, {
      color: PALETTE,
      tooltip: { trigger: 'item', formatter: function (p) {
        return p.name + ': ' + fmt(p.value) + (first ? ' (' + (100 * p.value / first).toFixed(1) + '% of ' + res.rows[0][0] + ')' : '');
      } },
      series: [{ type: 'funnel', sort: 'none', left: '10%', width: '80%', minSize: '8%', gap: 2,
        label: { position: 'inside', formatter: '{b}: {c}' },
        data: res.rows.map(function (r) { return { name: r[0], value: r[1] }; }) }]
    });
  }

  function wordcloud(c, res) {
    return drawOption(c, {
      tooltip: { formatter: function (p) { return p.name + ': ' + fmt(p.value); } },
      series: [{ type: 'wordCloud', shape: 'circle', gridSize: 6, sizeRange: [14, 56], rotationRange: [0, 0],
        width: '100%', height: '100%', layoutAnimation: false,
        textStyle: { fontWeight: 600, color: function (p) { return PALETTE[p.dataIndex % PALETTE.length]; } },
        data: res.rows.map(function (r) { return { name: r[0], value: r[1] }; }) }]
    });
  }

  // The map's names are the short province names (北京, 内蒙古, 广西 ...);
  // full names lose their suffix.
  function province(name) {
    return String(name).replace(/(省|市|特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区)$/, '');
  }

  // mapRegions is the set of region names of the registered China map.
  function mapRegions() {
    var m = echarts.getMap('china') || {};
    var geo = m.geoJSON || m.geoJson || {};
    var names = {};
    (geo.features || []).forEach(function (f) { names[f.properties.name] = true; });
    return names;
  }

  function map(c, res) {
    var max = 0;
    res.rows.forEach(function (r) { if (r[1] > max) max = r[1]; });
    var col = res.columns[1];
    drawOption(c, {
      tooltip: { trigger: 'item', formatter: function (p) { return p.name + ': ' + fmt(p.value || 0, col); } },
      visualMap: { min: 0, max: max || 1, left: 8, bottom: 8, text: ['high', 'low'], calculable: true,
        inRange: { color: ['#dfe9fb', '#3b6fd8', '#1c3f8f'] } },
      series: [{ type: 'map', map: 'china', name: label(col), roam: false,
        emphasis: { label: { show: true } },
        data: res.rows.map(function (r) { return { name: province(r[0]), value: r[1] }; }) }]
    });
    // ECharts lists every region of the map; what was drawn is the rows
    // whose province is one of them.
    var regions = mapRegions();
    return res.rows.filter(function (r) { return regions[province(r[0])]; }).length;
  }

  // kind picks the renderer: the indicator's chart if its library is here,
  // else the nearest one that is (a ranking for a map or a cloud, a table
  // without ECharts).
  function kind(chart) {
    if (chart === 'number' || chart === 'table') return chart;
    if (!hasCharts) return 'table';
    if (chart === 'map' && !(assets.china && echarts.getMap && echarts.getMap('china'))) return 'ranking';
    if (chart === 'wordcloud' && !assets.wordcloud) return 'ranking';
    return chart;
  }

  var RENDER = { number: number, table: table, ranking: ranking, bar: bar, line: line, pie: pie,
    funnel: funnel, wordcloud: wordcloud, map: map };

  function show(c, res) {
    var k = kind(c.ind.chart);
    // Unchanged figures are not drawn again: no flicker, and the word
    // cloud (laid out asynchronously) keeps its layout.
    var key = JSON.stringify([k, res.date, res.columns, res.rows]);
    if (key === c.key) {
      c.card.dataset.status = 'ok';
      return;
    }
    c.key = key;
    c.card.dataset.kind = k;
    c.card.dataset.rows = String(res.rows.length);
    if (!res.rows.length && k !== 'number') {
      dropChart(c);
      c.body.textContent = '';
      c.body.appendChild(el('p', 'empty', 'No data for ' + res.date + ' yet.'));
      c.card.dataset.drawn = '0';
    } else {
      c.card.dataset.drawn = String(RENDER[k](c, res));
    }
    c.card.dataset.status = 'ok';
  }

  function fail(c, msg) {
    dropChart(c);
    c.key = null;
    c.card.dataset.status = 'error';
    c.body.textContent = '';
    c.body.appendChild(el('p', 'error', msg));
  }

  function load(c, day) {
    var url = API + '/' + encodeURIComponent(c.ind.name) + (day ? '?date=' + encodeURIComponent(day) : '');
    return fetch(url, { cache: 'no-store' }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
        return j;
      });
    }).then(function (res) {
      try { show(c, res); } catch (e) { fail(c, 'cannot draw: ' + e.message); return false; }
      if (!pinned) dayInput.value = res.date;
      document.body.dataset.date = res.date;
      return true;
    }, function (e) { fail(c, e.message); return false; });
  }

  function refresh() {
    if (inflight) return;
    inflight = true;
    Promise.all(cards.map(function (c) { return load(c, pinned); })).then(function (oks) {
      inflight = false;
      var bad = oks.filter(function (ok) { return !ok; }).length;
      var state = document.getElementById('state');
      state.textContent = bad ? bad + ' failing' : 'live';
      state.className = 'state' + (bad ? ' error' : '');
      document.getElementById('updated').textContent = new Date().toLocaleTimeString();
      document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes) + 1);
    });
  }

  function notice(msg) {
    var n = document.getElementById('notice');
    n.textContent = msg;
    n.hidden = false;
  }

  var loaded = ['echarts', 'wordcloud', 'china'].filter(function (a) { return assets[a]; });
  document.body.dataset.assets = loaded.join(' ');
  if (!hasCharts) notice('The chart library is not embedded: run `make assets` and rebuild rtdw. Figures are shown as tables.');

  dayInput.value = pinned;
  dayInput.addEventListener('change', function () {
    pinned = dayInput.value;
    var u = new URL(location.href);
    if (dayInput.value) u.searchParams.set('date', dayInput.value); else u.searchParams.delete('date');
    history.replaceState(null, '', u);
    refresh();
  });
  // Resize only charts whose box changed: a resize lays the word cloud out
  // anew, asynchronously, and browsers send resize events at other times
  // too (headless Chromium sends one just before its screenshot).
  window.addEventListener('resize', function () {
    cards.forEach(function (c) {
      if (!c.chart) return;
      var box = c.chart.getDom();
      if (box.clientWidth !== c.chart.getWidth() || box.clientHeight !== c.chart.getHeight()) c.chart.resize();
    });
  });

  fetch(API, { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (list) {
    buildCards(list.indicators);
    refresh();
    setInterval(refresh, REFRESH_MS);
  }, function (e) {
    notice('Cannot list the indicators: ' + e.message);
  });
})();
