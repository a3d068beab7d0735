// The gmall real-time dashboard: one card per indicator of GET /api/ads,
// refreshed every few seconds from GET /api/ads/<name>?date=yyyy-MM-dd.
// Each card records what it showed in data-* attributes (status, rows,
// drawn points, chart kind) so a headless browser test can check it.
(function () {
  'use strict';

  var REFRESH_MS = 5000;
  var API = '../api/ads';
  var WIDE = { province_gmv: true, hourly_traffic: true, gmv_trend: true };
  var LABELS = {
    gmv: 'GMV', order_amount: 'Order amount', order_count: 'Orders', uv: 'Visitors (UV)', pv: 'Page views',
    new_uv: 'New visitors', sessions: 'Sessions', pv_per_session: 'PV / session',
    avg_duration_s: 'Avg duration (s)', searches: 'Searches', users: 'Users', new_users: 'New users',
    refunds: 'Refunds', ch: 'Channel', visitor: 'Visitor', hour_of_day: 'Hour',
    category2_name: 'Category 2', category1_name: 'Category 1', aov: 'Average order value',
    minute_of_day: 'Minute'
  };
  var MONEY = { gmv: true, order_amount: true, aov: true };
  // The funnel's stage ids, as people say them.
  var STAGES = { home: 'Home page', good_detail: 'Product page', cart_add: 'Added to cart', order: 'Ordered', payment: 'Paid' };
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
  // The warehouse's business time zone and today there (GET /api/ads and
  // every answer say): hours, minutes and "today" are the warehouse's.
  var zone = '';
  var today = '';

  function label(col) { return LABELS[col] || col.replace(/_/g, ' '); }

  // compact writes an axis figure short: 12k, 1.5M (no overlapping ticks).
  function compact(v) {
    var a = Math.abs(v);
    if (a >= 1e6) return +(v / 1e6).toFixed(1) + 'M';
    if (a >= 1e4) return +(v / 1e3).toFixed(0) + 'k';
    if (a >= 1e3) return +(v / 1e3).toFixed(1) + 'k';
    return String(+v.toFixed(2));
  }

  // widthOf is a name's width in Latin letters (a CJK character is two).
  function widthOf(s) {
    var w = 0;
    for (var i = 0; i < s.length; i++) w += s.charCodeAt(i) > 0x2e80 ? 2 : 1;
    return w;
  }

  // shorten cuts a long name in the middle, keeping its start and, longer,
  // its end (SKU names share their start: the end tells them apart).
  function shorten(s, max) {
    s = String(s);
    if (widthOf(s) <= max) return s;
    var chars = Array.from(s), head = '', tail = '', i = 0, j = chars.length - 1;
    var front = Math.floor((max - 1) * 0.35);
    while (widthOf(head + chars[i]) <= front) head += chars[i++];
    while (j > i && widthOf(chars[j] + tail) <= max - 1 - front) tail = chars[j--] + tail;
    return head.replace(/\s+$/, '') + '…' + tail.replace(/^\s+/, '');
  }

  // shortNames shortens names so that they stay distinct: a name that
  // would read as another gets its rank appended.
  function shortNames(names, max) {
    var out = names.map(function (n) { return shorten(n, max); });
    var seen = {};
    out.forEach(function (n) { seen[n] = (seen[n] || 0) + 1; });
    return out.map(function (n, i) { return seen[n] > 1 ? shorten(names[i], max - 3) + ' #' + (i + 1) : n; });
  }

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
      var card = el('section', 'card' + (WIDE[ind.name] ? ' wide' : '') + (ind.chart === 'number' ? ' kpi' : ''));
      card.dataset.indicator = ind.name;
      card.dataset.status = 'pending';
      card.dataset.rows = '0';
      card.dataset.drawn = '0';
      var title = el('h2', null, ind.title);
      card.appendChild(title);
      var body = el('div', 'body');
      card.appendChild(body);
      grid.appendChild(card);
      cards.push({ ind: ind, card: card, title: title, body: body, chart: null });
    });
  }

  // --- renderers: each draws res into c and returns the points drawn ---

  function chartOf(c, cls) {
    if (!c.chart) {
      c.body.textContent = '';
      var div = el('div', 'chart' + (cls ? ' ' + cls : ''));
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
  function drawOption(c, opt, cls) {
    // A chart grows in once; new figures (every few seconds on a live
    // day) and a resize redraw it at once, not from zero again.
    opt.animation = !c.chart;
    var chart = chartOf(c, cls);
    chart.setOption(opt, true);
    var n = 0;
    c.card.dataset.series = String((chart.getOption().series || []).length);
    (chart.getOption().series || []).forEach(function (s) {
      n = Math.max(n, (s.data || []).filter(hasValue).length);
    });
    return n;
  }

  // money writes a figure of col, with ¥ if it is money.
  function money(v, col) { return (MONEY[col] && typeof v === 'number' ? '¥' : '') + fmt(v, col); }

  // number shows the figure, and against yesterday's up to the same time
  // (the second column) the change in percent; '—' when yesterday had
  // nothing to compare with.
  function number(c, res) {
    dropChart(c);
    var col = res.columns[0];
    var v = res.rows.length ? res.rows[0][0] : null;
    var box = el('div', 'number');
    var value = el('div', 'value', money(v, col));
    value.dataset.value = v == null ? '' : String(v);
    box.appendChild(value);
    if (res.columns.length > 1) {
      var y = res.rows.length ? res.rows[0][1] : null;
      var cmp = el('div', 'compare');
      var pct = el('span', 'pct');
      if (typeof y === 'number' && y !== 0 && typeof v === 'number') {
        var d = 100 * (v - y) / y;
        pct.textContent = (d > 0 ? '▲ ' : d < 0 ? '▼ ' : '') + Math.abs(d).toFixed(1) + '%';
        pct.className += d > 0 ? ' up' : d < 0 ? ' down' : '';
      } else {
        pct.textContent = '—';
      }
      cmp.appendChild(pct);
      cmp.appendChild(document.createTextNode(' vs yesterday' + (res.date === res.today ? ' by this time' : '') +
        (typeof y === 'number' ? ' (' + money(y, col) + ')' : '')));
      c.card.dataset.compare = pct.textContent;
      box.appendChild(cmp);
    }
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

  // axis is a value axis whose ticks cannot run into each other: few of
  // them, written short, the ones that would still touch hidden.
  function axis(whole) {
    return { type: 'value', minInterval: whole ? 1 : 0, splitNumber: 3, splitLine: { lineStyle: { color: '#eef1f5' } },
      axisLabel: { hideOverlap: true, formatter: compact } };
  }

  // nameRoom is how many letters a ranking's names get: a third of the
  // card or so (a letter is some 7 px).
  function nameRoom(c) { return Math.max(14, Math.min(30, Math.round(c.body.clientWidth / 20))); }

  function ranking(c, res) {
    var col = res.columns[1];
    // Long names (SKUs) are cut in the middle, to stay distinct; the
    // tooltip has them whole.
    var max = nameRoom(c);
    c.room = max;
    var names = shortNames(res.rows.map(function (r) { return r[0]; }), max);
    c.card.dataset.labels = names.join('|');
    var rows = res.rows.map(function (r, i) { return { name: names[i], row: r }; }).reverse(); // largest on top
    return drawOption(c, {
      color: PALETTE,
      grid: { left: 8, right: 72, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: function (ps) {
        var row = rows[ps[0].dataIndex].row;
        return res.columns.map(function (k, i) { return (i ? label(k) + ': ' : '') + fmt(row[i], k); }).join('<br>');
      } },
      xAxis: axis(counts(res)),
      yAxis: { type: 'category', data: rows.map(function (r) { return r.name; }) },
      series: [{ type: 'bar', name: label(col), data: rows.map(function (r) { return r.row[1]; }),
        label: { show: true, position: 'right', formatter: function (p) { return MONEY[col] ? compact(p.value) : fmt(p.value, col); } } }]
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
      xAxis: { type: 'category', data: res.rows.map(function (r) { return r[0]; }), axisLabel: { hideOverlap: true } },
      yAxis: axis(counts(res)),
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
      xAxis: { type: 'category', boundaryGap: res.rows.length < 3, data: res.rows.map(function (r) { return ('0' + r[0]).slice(-2) + ':00'; }),
        axisLabel: { hideOverlap: true } },
      yAxis: axis(true),
      // A live day's first hours are bars (a line of one point is a dot).
      series: series(res, res.rows.length < 3 ? 'bar' : 'line')
    });
  }

  function hhmm(m) { return ('0' + Math.floor(m / 60)).slice(-2) + ':' + ('0' + m % 60).slice(-2); }

  // trend draws the measures per minute of the day, from the first minute
  // with figures to the last (to now, on today): a minute without windows
  // had none. Yesterday's columns are drawn dashed over the same minutes.
  function trend(c, res) {
    var cols = res.columns.slice(1);
    var own = cols.map(function (col) { return !/_yesterday$/.test(col); });
    var by = {}, first = null, last = null;
    res.rows.forEach(function (r) {
      by[r[0]] = r;
      var mine = r.slice(1).some(function (v, i) { return own[i] && v != null; });
      if (mine) {
        if (first === null) first = r[0];
        last = r[0];
      }
    });
    if (first === null) { first = res.rows[0][0]; last = res.rows[res.rows.length - 1][0]; }
    if (res.date === res.today && res.time) {
      var t = res.time.split(':');
      last = Math.max(last, Math.min(1439, Number(t[0]) * 60 + Number(t[1])));
    }
    var minutes = [];
    for (var m = first; m <= last; m++) minutes.push(m);
    var fit = Math.max(2, Math.floor((c.body.clientWidth - 60) / 56));
    var step = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360].filter(function (n) { return minutes.length / n <= fit; })[0] || 360;
    var onStep = function (i) { return minutes[i] % step === 0; };
    return drawOption(c, {
      color: PALETTE,
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v, cols[0]); } },
      legend: { top: 0 },
      // Ticks on round minutes (:05, :30, whole hours ...), as many as fit.
      xAxis: { type: 'category', boundaryGap: false, data: minutes.map(hhmm),
        axisTick: { interval: onStep }, axisLabel: { hideOverlap: true, interval: onStep } },
      yAxis: axis(false),
      // (No yesterday line when yesterday had nothing in these minutes.)
      series: cols.map(function (col, i) {
        if (!own[i] && !minutes.some(function (m) { return by[m] && by[m][i + 1] != null; })) return null;
        var s = { type: 'line', name: own[i] ? label(col) : 'Yesterday', showSymbol: minutes.length < 3,
          data: minutes.map(function (m) { return by[m] && by[m][i + 1] != null ? by[m][i + 1] : 0; }) };
        if (own[i]) s.areaStyle = { opacity: 0.15 };
        else { s.lineStyle = { type: 'dashed', width: 1, color: '#9aa6b2' }; s.itemStyle = { color: '#9aa6b2' }; s.z = 1; }
        return s;
      }).filter(Boolean)
    });
  }

  function pie(c, res) {
    return drawOption(c, {
      color: PALETTE,
      tooltip: { trigger: 'item', formatter: tooltipRows(res) },
      legend: { bottom: 0 },
      series: [{ type: 'pie', radius: ['36%', '58%'], center: ['50%', '46%'],
        label: { formatter: '{b}\n{d}%', overflow: 'none' }, labelLine: { length: 8, length2: 8 },
        data: res.rows.map(function (r) { return { name: r[0], value: r[1] }; }) }]
    });
  }

  // funnel draws the stages as centred bars (as wide as their share of
  // the first stage), their names and figures beside them, never on them,
  // and between stages the conversion from one to the next.
  function funnel(c, res) {
    dropChart(c);
    var first = res.rows.length ? res.rows[0][1] : 0;
    var box = el('div', 'funnel');
    res.rows.forEach(function (r, i) {
      if (i > 0) {
        var prev = res.rows[i - 1][1];
        var conv = el('div', 'conv', '↓ ' + (prev ? (100 * r[1] / prev).toFixed(1) + '%' : '—'));
        var from = STAGES[res.rows[i - 1][0]] || res.rows[i - 1][0], to = STAGES[r[0]] || r[0];
        conv.title = to + ' users per 100 ' + from + ' users today';
        if (prev && r[1] > prev) {
          // Each stage counts its own users: people order from carts
          // filled on earlier days, so a stage may outnumber the one before.
          conv.classList.add('over');
          conv.title += ': more than ' + from + ', because each stage counts its own users ' +
            '(e.g. orders from carts filled on earlier days), not a subset of the stage before';
        }
        box.appendChild(conv);
      }
      var stage = el('div', 'stage');
      stage.dataset.stage = r[0];
      stage.appendChild(el('span', 'name', STAGES[r[0]] || label(r[0])));
      var track = el('span', 'track');
      var b = el('span', 'bar');
      b.style.width = (first ? Math.max(2, 100 * r[1] / first) : 2) + '%';
      b.style.background = PALETTE[i % PALETTE.length];
      track.appendChild(b);
      stage.appendChild(track);
      stage.appendChild(el('span', 'n', fmt(r[1])));
      stage.title = (STAGES[r[0]] || r[0]) + ': ' + fmt(r[1]) + (first ? ' (' + (100 * r[1] / first).toFixed(1) + '% of ' + (STAGES[res.rows[0][0]] || res.rows[0][0]) + ')' : '');
      box.appendChild(stage);
    });
    c.body.textContent = '';
    c.body.appendChild(box);
    return res.rows.length;
  }

  function wordcloud(c, res) {
    return drawOption(c, {
      tooltip: { formatter: function (p) { return p.name + ': ' + fmt(p.value); } },
      // The cloud is at most 320 px wide (.cloud): a phone's card holds
      // it as it is, so turning or resizing the window does not lay it
      // out anew (which blanks it until done). Sizes follow it: big words
      // that do not fit would be dropped; shrinkToFit shrinks the rest.
      series: [{ type: 'wordCloud', shape: 'square', gridSize: 4, rotationRange: [0, 0],
        sizeRange: [12, Math.max(20, Math.min(48, Math.round(Math.min(c.body.clientWidth, 320) / 7)))],
        width: '100%', height: '100%', layoutAnimation: false, shrinkToFit: true, drawOutOfBound: false,
        textStyle: { fontWeight: 600, color: function (p) { return PALETTE[p.dataIndex % PALETTE.length]; } },
        data: res.rows.map(function (r) { return { name: r[0], value: r[1] }; }) }]
    }, 'cloud');
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

  var RENDER = { number: number, table: table, ranking: ranking, bar: bar, line: line, trend: trend, pie: pie,
    funnel: funnel, wordcloud: wordcloud, map: map };

  function show(c, res) {
    var k = kind(c.ind.chart);
    // Unchanged figures are not drawn again: no flicker, and the word
    // cloud (laid out asynchronously) keeps its layout.
    // A figure's title says its day: "GMV today", "GMV 2024-06-01".
    if (c.ind.chart === 'number') c.title.textContent = c.ind.title + (res.date === res.today ? ' today' : ' ' + res.date);
    var key = JSON.stringify([k, res.date, res.today, res.columns, res.rows]);
    if (key === c.key) {
      c.card.dataset.status = 'ok';
      return;
    }
    c.key = key;
    c.res = res;
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

  // texts returns the boxes of the text a chart drew (axis labels, bar
  // labels, words), in chart pixels.
  function texts(chart) {
    var out = [];
    chart.getZr().storage.getDisplayList(true).forEach(function (e) {
      if (e.invisible || e.ignore || (e.type !== 'tspan' && e.type !== 'text') || !e.style || !e.style.text) return;
      if (e.style.opacity === 0) return;
      var r = e.getBoundingRect().clone();
      var m = e.getComputedTransform();
      if (m) r.applyTransform(m);
      // Only text inside the chart is shown.
      if (r.width > 0 && r.height > 0 && r.x >= -1 && r.y >= -1 && r.x + r.width <= chart.getWidth() + 1 &&
        r.y + r.height <= chart.getHeight() + 1) out.push(r);
    });
    return out;
  }

  // measure records what a chart's text looks like: how many labels it
  // drew (data-texts; a word cloud's words) and how many pairs of them
  // overlap by more than a pixel (data-overlaps).
  function measure(c) {
    if (!c.chart) {
      delete c.card.dataset.texts;
      delete c.card.dataset.overlaps;
      return;
    }
    var boxes = texts(c.chart), n = 0;
    for (var i = 0; i < boxes.length; i++) {
      for (var j = i + 1; j < boxes.length; j++) {
        var a = boxes[i], b = boxes[j];
        var w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
        var h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
        if (w > 1 && h > 1) n++;
      }
    }
    c.card.dataset.texts = String(boxes.length);
    c.card.dataset.overlaps = String(n);
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
      zone = res.zone || zone;
      today = res.today || today;
      if (res.time) c.time = res.time;
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
      // The time the warehouse read the figures, in its zone (the
      // charts' hours are that zone's too), not the browser's clock.
      var times = cards.map(function (c) { return c.time || ''; }).sort();
      var upd = document.getElementById('updated');
      if (times[times.length - 1]) {
        upd.textContent = times[times.length - 1] + ' ' + zone;
        upd.dateTime = (today ? today + 'T' : '') + times[times.length - 1];
      }
      document.body.dataset.zone = zone;
      cards.forEach(measure);
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
      // A ranking's names are cut to the card's width: cut them anew.
      if (c.room && c.res && nameRoom(c) !== c.room) {
        c.key = null;
        show(c, c.res);
      }
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
