/* ipgrid big screen: builds the page once from the JSON data, then only changes
   styles, classes and texts as it rotates, so an hour (or a week) of rotation
   keeps the same DOM and the same Leaflet layers.  Every text from the data is
   set with textContent (never parsed as HTML).

   Rotation: district → what changed since the version before (a store only) →
   the grid's visits (a store with visits) → each town (ranking order) → parks →
   GI areas → service network → again.  Any key or a click pauses/resumes; arrow keys / PageUp /
   PageDown step (presenter remotes).  window.kiosk exposes the state for tests. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("kiosk-data").textContent);
  var CFG = JSON.parse(document.getElementById("kiosk-config").textContent);
  var byId = function (id) { return document.getElementById(id); };
  var state = { frames: 0, index: 0, view: "", town: null, paused: false, elapsed: 0, errors: 0,
                ready: false, interval: CFG.interval_s, total: 0 };
  window.kiosk = state;
  window.addEventListener("error", function () { state.errors += 1; });

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function remPx() { return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16; }

  /* ---------------------------------------------------------------- header, footer */
  byId("district").textContent = D.district;
  byId("data-date").textContent = "数据截至 " + D.data_date;
  byId("source").textContent = "来源：" + D.source;
  if (D.demo) {
    byId("demo-badge").textContent = D.demo_badge;
    byId("demo-badge").hidden = false;
    byId("map-demo").textContent = D.demo_badge + " · " + D.demo_note;
    byId("map-demo").hidden = false;
  }
  byId("notes").textContent = (CFG.notes || []).join("；");

  /* ---------------------------------------------------------------- target cards */
  D.cards.forEach(function (c) {
    var card = el("article", "card");
    card.dataset.key = c.key;
    card.dataset.tone = c.tone;
    card.appendChild(el("div", "card-title", c.title));
    var main = el("div", "card-main");
    main.appendChild(el("span", "card-value", c.value));
    main.appendChild(el("span", "card-unit", c.unit));
    main.appendChild(el("span", "card-year", c.year));
    var arrow = el("span", "card-arrow", { up: "▲", down: "▼", flat: "▶" }[c.arrow] || "");
    arrow.dataset.dir = c.arrow;
    main.appendChild(arrow);
    card.appendChild(main);
    var line1 = el("div", "card-line");
    line1.appendChild(el("span", "card-target", c.target));
    line1.appendChild(el("span", "card-progress-text", c.progress_text));
    card.appendChild(line1);
    var bar = el("div", "card-bar");
    var fill = el("i");
    fill.style.width = (Math.max(0, Math.min(1, c.progress)) * 100).toFixed(1) + "%";
    bar.appendChild(fill);
    card.appendChild(bar);
    var line2 = el("div", "card-line");
    line2.appendChild(el("span", "card-trend", c.trend));
    line2.appendChild(el("span", "card-status", c.status));
    card.appendChild(line2);
    byId("cards").appendChild(card);
  });

  /* ---------------------------------------------------------------- side panels */
  var MIN_ROWS = 8;
  function rankingRows(container, items, opts) {
    var rows = el("div", "rows");
    // at least MIN_ROWS slots, so a short list keeps rows of a normal height
    rows.style.gridTemplateRows = "repeat(" + Math.max(Math.min(items.length, D.max_rows), MIN_ROWS) +
      ", minmax(0, 1fr))";
    var made = [];
    items.forEach(function (item, i) {
      var row = el("div", "row" + (item.sub ? " two-line" : "") + (opts.ranked ? "" : " unranked"));
      var bar = el("i", "row-bar");
      bar.style.width = (Math.max(0, Math.min(1, item.share || 0)) * 100).toFixed(1) + "%";
      row.appendChild(bar);
      if (opts.ranked) { row.appendChild(el("span", "row-rank", item.rank_label || "")); }
      var name = el("span", "row-name");
      if (item.color) {
        var sw = el("i", "swatch");
        sw.style.background = item.color;
        name.appendChild(sw);
      }
      name.appendChild(document.createTextNode(item.name));
      if (item.sub) { name.appendChild(el("span", "row-sub", item.sub)); }
      row.appendChild(name);
      row.appendChild(el("span", "row-value", item.value || ""));
      rows.appendChild(row);
      made.push(row);
    });
    container.appendChild(rows);
    return made;
  }

  // Row text as large as the panel allows (at most 1.5rem), measured once the panel is shown.
  function fitRows(panel) {
    panel.querySelectorAll(".rows").forEach(function (rows) {
      var shown = 0;
      var lines = 1;
      rows.childNodes.forEach(function (r) {
        if (!r.hidden) { shown += 1; }
        if (r.classList.contains("two-line")) { lines = 2; }
      });
      var per = rows.clientHeight / Math.max(shown, MIN_ROWS);
      var size = Math.min(1.5 * remPx(), Math.max(0.9 * remPx(), per * (lines === 2 ? 0.36 : 0.55)));
      rows.style.fontSize = size.toFixed(1) + "px";
    });
  }

  function panelHead(panel, title, sub) {
    panel.appendChild(el("h2", null, title));
    if (sub) { panel.appendChild(el("div", "sub", sub)); }
  }

  var townOrder = D.towns.order;
  var townRowOf = {};
  (function () {
    var panel = byId("panel-towns");
    panelHead(panel, "镇街排名", D.towns.legend_title);
    var items = townOrder.map(function (i) {
      var f = D.towns.features[i];
      return { name: f.name, value: f.value, share: f.share, rank_label: f.rank_label };
    });
    var rows = rankingRows(panel, items, { ranked: true });
    townOrder.forEach(function (i, pos) { townRowOf[i] = rows[pos]; });
    state.townRows = rows;
  })();
  if (D.parks) {
    panelHead(byId("panel-parks"), D.parks.title, D.parks.subtitle);
    rankingRows(byId("panel-parks"), D.parks.ranking, { ranked: true });
  }
  if (D.gi) {
    panelHead(byId("panel-gi"), D.gi.title, D.gi.subtitle);
    rankingRows(byId("panel-gi"), D.gi.items.map(function (g) {
      return { name: g.name, sub: g.sub, color: D.gi.color };
    }), { ranked: false });
  }
  if (D.service) {
    var sp = byId("panel-service");
    panelHead(sp, D.service.title, D.service.subtitle);
    var fig = el("div", "big-figure");
    fig.appendChild(el("b", null, D.service.coverage));
    fig.appendChild(el("span", null, D.service.coverage_label));
    sp.appendChild(fig);
    sp.appendChild(el("div", "sub", D.service.covered));
    var types = el("div", "service-types");
    D.service.types.forEach(function (t) {
      var name = el("span");
      var sw = el("i", "swatch");
      sw.style.background = t.color;
      name.appendChild(sw);
      name.appendChild(document.createTextNode(t.type));
      types.appendChild(name);
      types.appendChild(el("span", null, t.count));
    });
    sp.appendChild(types);
    sp.appendChild(el("div", "sub", D.service.ranking_title));
    rankingRows(sp, D.service.ranking, { ranked: false });
  }

  // big figures two by two: number (coloured by its tone), unit, label
  function figureBoxes(figures) {
    var figs = el("div", "change-figures");
    figures.forEach(function (f) {
      var box = el("div", "change-figure");
      box.dataset.key = f.key;
      box.dataset.tone = f.tone;
      var num = el("div", "change-number");
      num.appendChild(el("b", null, f.value));
      num.appendChild(el("span", null, f.unit));
      box.appendChild(num);
      box.appendChild(el("div", "change-label", f.label));
      figs.appendChild(box);
    });
    return figs;
  }

  if (D.changes) {
    var cp = byId("panel-changes");
    panelHead(cp, D.changes.heading, D.changes.period);
    cp.appendChild(figureBoxes(D.changes.figures));
    var cov = el("div", "change-coverage");
    cov.appendChild(el("span", null, D.changes.coverage_label));
    cov.appendChild(el("b", null, D.changes.coverage_values));
    var delta = el("span", "change-delta", D.changes.coverage_change);
    delta.dataset.tone = D.changes.coverage_tone;
    cov.appendChild(delta);
    cp.appendChild(cov);
    cp.appendChild(el("div", "sub", D.changes.lost_ip_text));
    cp.appendChild(el("div", "sub", D.changes.towns_title));
    rankingRows(cp, D.changes.towns, { ranked: false });
  }

  if (D.visits) {
    var vp = byId("panel-visits");
    panelHead(vp, D.visits.heading, D.visits.period);
    vp.appendChild(figureBoxes(D.visits.figures));
    vp.appendChild(el("div", "sub", D.visits.ranking_title));
    rankingRows(vp, D.visits.ranking, { ranked: true });
    // visits per month as bars over the map (lower right): heights are shares of the busiest month
    var vm = byId("visit-months");
    vm.appendChild(el("div", "legend-title", D.visits.months_title));
    var bars = el("div", "month-bars");
    var longest = 0;
    D.visits.months.forEach(function (m) {
      var col = el("div", "month");
      col.dataset.month = m.month;
      var track = el("div", "month-track");
      var fill = el("i");
      fill.style.height = (Math.max(0, Math.min(1, m.share)) * 100).toFixed(1) + "%";
      fill.appendChild(el("span", "month-value", m.value));
      track.appendChild(fill);
      col.appendChild(track);
      col.appendChild(el("span", "month-label", m.label));
      bars.appendChild(col);
      longest = Math.max(longest, String(m.value).length);
    });
    if (longest > 3) { bars.classList.add("long"); }
    vm.appendChild(bars);
    vm.appendChild(el("div", "legend-note", D.visits.months_note));
    vm.hidden = false;
  }

  /* ---------------------------------------------------------------- legends */
  function legend(view, title, entries, note, dots) {
    var box = el("div", "legend");
    box.dataset.view = view;
    box.appendChild(el("div", "legend-title", title));
    entries.forEach(function (e) {
      var row = el("div", "legend-row");
      var sw = el("i", "legend-swatch" + (dots ? " dot" : ""));
      sw.style.background = e.color;
      row.appendChild(sw);
      row.appendChild(el("span", null, e.label));
      box.appendChild(row);
    });
    if (note) { box.appendChild(el("div", "legend-note", note)); }
    byId("legends").appendChild(box);
  }
  legend("towns", D.towns.legend_title, D.towns.legend, D.towns.scheme, false);
  if (D.parks) { legend("parks", "园区", [{ color: D.parks.color, label: "园区范围" }], null, false); }
  if (D.gi) { legend("gi", "地理标志", [{ color: D.gi.color, label: "产区 / 保护范围" }], null, false); }
  if (D.service) {
    legend("service", "服务站点", D.service.types.map(function (t) { return { color: t.color, label: t.type }; }),
           "圆圈为服务半径", true);
  }
  if (D.changes) {
    legend("changes", D.changes.heading, [{ color: D.changes.color, label: D.changes.towns_title }], null, false);
  }
  if (D.visits) { legend("visits", D.visits.legend_title, D.visits.legend, D.visits.scheme, false); }

  /* ---------------------------------------------------------------- town box */
  var detailCells = [];
  (function () {
    var dl = byId("town-box-detail");
    var n = D.towns.features.length ? D.towns.features[0].detail.length - 1 : 0;
    for (var i = 0; i < n; i += 1) {
      var dt = el("dt"); var dd = el("dd");
      dl.appendChild(dt); dl.appendChild(dd);
      detailCells.push([dt, dd]);
    }
  })();

  /* ---------------------------------------------------------------- map */
  var px = remPx() / 16;
  var map = L.map("map", {
    zoomControl: false, attributionControl: false, dragging: false, scrollWheelZoom: false,
    doubleClickZoom: false, boxZoom: false, keyboard: false, touchZoom: false, tap: false,
    zoomSnap: 0.1, inertia: false, fadeAnimation: false
  });
  function pane(name, z) { var p = map.createPane(name); p.style.zIndex = String(z); return p; }
  pane("towns", 400); pane("parks", 410); pane("gi", 420); pane("service", 430);
  pane("town-labels", 610); pane("park-labels", 611); pane("gi-labels", 612); pane("change-labels", 613);

  var labelGroups = { towns: [], parks: [], gi: [], changes: [], visits: [] };  // names per view, by priority
  // a name's colour and halo come with the data, chosen for the fill under it (dashboard/theme.py label_ink)
  function ink(node, style) {
    if (node && style) { node.style.color = style.color; node.style.textShadow = style.shadow; }
  }
  function label(latlng, text, cls, paneName, style) {
    if (!latlng) { return null; }
    var span = document.createElement("span");
    span.textContent = text;
    ink(span, style);
    var icon = L.divIcon({ className: "map-label " + cls, html: span, iconSize: null });
    return L.marker(latlng, { icon: icon, pane: paneName, interactive: false, keyboard: false }).addTo(map);
  }

  var P = D.palette;
  var townLayers = D.towns.features.map(function (f) {
    if (!f.geometry) { return null; }
    return L.geoJSON({ type: "Feature", geometry: f.geometry, properties: {} },
                     { pane: "towns", interactive: false }).addTo(map);
  });
  var townLabels = D.towns.features.map(function (f) {
    return label(f.label_at, f.name, "town-label", "town-labels", f.label.all);
  });
  townOrder.forEach(function (i) { if (townLabels[i]) { labelGroups.towns.push(townLabels[i]); } });
  if (D.visits) {  // the towns' names in the 网格走访 frame: by its ranking, then any town it does not list
    var listed = D.visits.ranking.map(function (r) { return r.feature; });
    listed.concat(townOrder.filter(function (i) { return listed.indexOf(i) < 0; })).forEach(function (i) {
      if (townLabels[i]) { labelGroups.visits.push(townLabels[i]); }
    });
  }
  if (D.parks) {
    D.parks.features.forEach(function (f) {
      if (f.geometry) {
        L.geoJSON({ type: "Feature", geometry: f.geometry, properties: {} }, {
          pane: "parks", interactive: false,
          style: { color: D.parks.color, weight: 2.5 * px, fillColor: D.parks.color, fillOpacity: D.parks.opacity }
        }).addTo(map);
      }
      var m = label(f.label_at, f.name, "park-label", "park-labels", D.parks.label);
      if (m) { labelGroups.parks.push(m); }
    });
  }
  if (D.gi) {
    D.gi.items.forEach(function (g) {
      if (g.geometry) {
        L.geoJSON({ type: "Feature", geometry: g.geometry, properties: {} }, {
          pane: "gi", interactive: false,
          style: { color: D.gi.color, weight: 2.5 * px, fillColor: D.gi.color, fillOpacity: D.gi.opacity }
        }).addTo(map);
      }
      var m = label(g.label_at, g.name, "gi-label", "gi-labels", D.gi.label);
      if (m) { labelGroups.gi.push(m); }
    });
  }
  // towns of the 本季度变化 list whose figure rose: filled and named on the map during that frame
  var risen = {};
  if (D.changes) {
    D.changes.towns.forEach(function (t) {
      if (t.feature === null || !(t.change > 0)) { return; }
      risen[t.feature] = true;
      var f = D.towns.features[t.feature];
      var m = label(f.label_at, f.name, "change-town-label", "change-labels", D.changes.label);
      if (m) { labelGroups.changes.push(m); }
    });
  }
  if (D.service) {
    D.service.points.forEach(function (s) {
      var at = [s.lat, s.lon];
      if (s.radius_m > 0) {
        L.circle(at, { radius: s.radius_m, pane: "service", interactive: false, color: s.color,
                       weight: 1.5 * px, opacity: 0.7, fillColor: s.color, fillOpacity: 0.1 }).addTo(map);
      }
      L.circleMarker(at, { radius: 7 * px, pane: "service", interactive: false, color: "#ffffff",
                           weight: 2 * px, fillColor: s.color, fillOpacity: 1 }).addTo(map);
    });
  }

  // Map names must not overlap or be cut at the edge: hide those that would, in priority order
  // (the focused town first, then by rank / list order).  Runs after every move; no DOM is added.
  function declutter() {
    var group = labelGroups[state.view] || [];
    var box = byId("map").getBoundingClientRect();
    var taken = [];  // the boxes drawn over the map count as taken
    [byId("map-demo"), byId("town-box"), byId("visit-months")].concat(Array.prototype.slice.call(byId("legends").children))
      .forEach(function (node) {
        var r = node.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) { taken.push(r); }
      });
    var order = group.slice();
    if (state.view === "towns" && frames[state.index].town !== null) {
      var focus = townLabels[frames[state.index].town];
      order.sort(function (a, b) { return (b === focus) - (a === focus); });
    }
    order.forEach(function (marker) {
      var node = marker.getElement();
      if (!node || !node.firstChild) { return; }
      node.style.visibility = "";
      var r = node.firstChild.getBoundingClientRect();
      var inside = r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
      var clear = taken.every(function (t) {
        return r.right < t.left || r.left > t.right || r.bottom < t.top || r.top > t.bottom;
      });
      if (inside && clear) { taken.push(r); } else { node.style.visibility = "hidden"; }
    });
  }
  map.on("moveend zoomend", declutter);

  var PANES = { towns: ["town-labels"], parks: ["parks", "park-labels"], gi: ["gi", "gi-labels"],
                service: ["service"], changes: ["change-labels"], visits: ["town-labels"] };
  var ALL_PANES = ["parks", "gi", "service", "town-labels", "park-labels", "gi-labels", "change-labels"];
  function showPanes(view) {
    ALL_PANES.forEach(function (n) {
      map.getPane(n).style.display = PANES[view].indexOf(n) >= 0 ? "" : "none";
    });
  }

  // the state of town i in a town view: "all" (no focus), "focus" (its turn) or "dim" (another's turn)
  function townState(focus, i) { return focus === null ? "all" : (focus === i ? "focus" : "dim"); }
  function styleTowns(view, focus) {
    var O = D.towns.opacity;
    townLayers.forEach(function (layer, i) {
      if (!layer) { return; }
      var f = D.towns.features[i];
      var s;
      if (view === "towns") {
        s = { color: P.background, weight: 1.2 * px, fillColor: f.fill, fillOpacity: O[townState(focus, i)], opacity: 1 };
        if (focus === i) { s.color = P.highlight; s.weight = 5 * px; }
      } else if (view === "visits") {
        s = { color: P.background, weight: 1.2 * px, fillColor: D.visits.fills[i].fill, fillOpacity: O.all,
              opacity: 1 };
      } else if (view === "changes" && risen[i]) {
        s = { color: D.changes.color, weight: 2 * px, fillColor: D.changes.color, fillOpacity: D.changes.opacity,
              opacity: 1 };
      } else {
        s = { color: "#475569", weight: 1.2 * px, fillColor: D.towns.base.fill, fillOpacity: D.towns.base.opacity,
              opacity: 1 };
      }
      layer.setStyle(s);
      if (focus === i) { layer.bringToFront(); }
    });
    townLabels.forEach(function (m, i) {
      if (!m) { return; }
      var node = m.getElement();
      if (node) {
        node.classList.toggle("focus", focus === i);
        ink(node.firstChild, view === "visits" ? D.visits.fills[i].label
                                               : D.towns.features[i].label[townState(focus, i)]);
      }
    });
  }

  /* ---------------------------------------------------------------- frames */
  var frames = [{ view: "towns", town: null }];
  if (D.changes) { frames.push({ view: "changes", town: null }); }
  if (D.visits) { frames.push({ view: "visits", town: null }); }
  townOrder.forEach(function (i) { if (townLayers[i]) { frames.push({ view: "towns", town: i }); } });
  if (D.parks) { frames.push({ view: "parks", town: null }); }
  if (D.gi) { frames.push({ view: "gi", town: null }); }
  if (D.service) { frames.push({ view: "service", town: null }); }
  state.total = frames.length;
  var VIEW_TITLES = { towns: D.towns.title, parks: D.parks && D.parks.title, gi: D.gi && D.gi.title,
                      service: D.service && D.service.title, changes: D.changes && D.changes.title,
                      visits: D.visits && D.visits.title };
  var nTowns = frames.filter(function (f) { return f.town !== null; }).length;

  function frameBounds(fr) {
    return fr.town !== null ? D.towns.features[fr.town].bounds : D.towns.bounds;
  }
  function fit(fr, animate) {
    var b = frameBounds(fr);
    if (!b) { return; }
    // keep the areas clear of the legend (lower left) and the town box (lower right)
    var pad = Math.round(2 * remPx());
    var below = 0;
    byId("legends").querySelectorAll(".legend").forEach(function (box) {
      below = Math.max(below, box.offsetHeight);
    });
    if (fr.town !== null) { below = Math.max(below, byId("town-box").offsetHeight); }
    if (fr.view === "visits") { below = Math.max(below, byId("visit-months").offsetHeight); }
    var side = Math.round(5 * remPx());  // room for names centred on areas near the edge
    var opts = { paddingTopLeft: [side, pad + Math.round(1.5 * remPx())],
                 paddingBottomRight: [side, pad + below] };
    if (fr.town !== null && D.towns.bounds) {
      // close enough to read the town, far enough to see its neighbours
      opts.maxZoom = map.getBoundsZoom(D.towns.bounds, false, L.point(2 * side, 2 * pad + below)) + 1;
    }
    if (animate) {
      opts.duration = Math.min(0.8, state.interval * 0.4);
      map.flyToBounds(b, opts);
    } else {
      map.fitBounds(b, opts);
    }
  }

  function showRowWindow(current) {
    var rows = state.townRows;
    var max = D.max_rows;
    if (rows.length <= max) { return; }
    var pos = current === null ? 0 : rows.indexOf(townRowOf[current]);
    var start = Math.max(0, Math.min(rows.length - max, pos - Math.floor(max / 2)));
    rows.forEach(function (r, i) { r.hidden = i < start || i >= start + max; });
  }

  var currentRow = null;
  function apply(animate) {
    var fr = frames[state.index];
    state.view = fr.view;
    state.town = fr.town === null ? null : D.towns.features[fr.town].name;
    document.body.dataset.view = fr.view;
    document.body.dataset.frame = String(state.frames);
    byId("view-name").textContent = fr.town === null ? VIEW_TITLES[fr.view]
      : VIEW_TITLES.towns + " · " + state.town;
    showPanes(fr.view);
    styleTowns(fr.view, fr.town);
    if (currentRow) { currentRow.classList.remove("current"); currentRow = null; }
    var box = byId("town-box");
    if (fr.town !== null) {
      var f = D.towns.features[fr.town];
      currentRow = townRowOf[fr.town];
      currentRow.classList.add("current");
      byId("town-box-name").textContent = f.place + " · " + f.name;
      byId("town-box-value").textContent = f.detail[0][1];
      byId("town-box-label").textContent = f.detail[0][0];
      detailCells.forEach(function (cells, k) {
        var d = f.detail[k + 1] || ["", ""];
        cells[0].textContent = d[0];
        cells[1].textContent = d[1];
      });
      box.hidden = false;
    } else {
      box.hidden = true;
    }
    if (fr.view === "towns") { showRowWindow(fr.town); }
    fitRows(byId("panel-" + fr.view));
    var townPos = fr.town === null ? "" : "镇街 " + (townOrder.indexOf(fr.town) + 1) + "/" + nTowns + " · ";
    byId("position").textContent = townPos + "画面 " + (state.index + 1) + "/" + frames.length;
    fit(fr, animate);
    declutter();
  }

  /* ---------------------------------------------------------------- rotation, pause */
  var STORE = CFG.storage_key;
  function save() {
    try {
      window.sessionStorage.setItem(STORE, JSON.stringify({ index: state.index, paused: state.paused }));
    } catch (e) { /* storage off: the rotation simply restarts on reload */ }
  }
  function restore() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORE) || "null");
      if (saved && saved.index >= 0 && saved.index < frames.length) { state.index = saved.index; }
      if (saved && saved.paused) { state.paused = true; }
    } catch (e) { /* nothing saved */ }
  }
  function showStatus() {
    document.body.classList.toggle("paused", state.paused);
    byId("paused-badge").hidden = !state.paused;
    byId("status").textContent = state.paused ? "‖ 已暂停 · 按任意键或点击继续"
      : "▶ 自动轮播 · 每 " + CFG.interval_text + " · 按任意键或点击暂停";
  }
  function step(delta) {
    state.index = (state.index + delta + frames.length) % frames.length;
    state.frames += 1;
    state.elapsed = 0;
    apply(true);
    save();
  }
  function toggle() {
    state.paused = !state.paused;
    showStatus();
    save();
  }
  var IGNORED = ["Shift", "Control", "Alt", "Meta", "CapsLock", "Tab", "Escape", "NumLock", "ScrollLock",
                 "ContextMenu", "OS", "Fn"];
  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || IGNORED.indexOf(e.key) >= 0 || /^F\d+$/.test(e.key)) { return; }
    if (["ArrowRight", "ArrowDown", "PageDown"].indexOf(e.key) >= 0) { step(1); }
    else if (["ArrowLeft", "ArrowUp", "PageUp"].indexOf(e.key) >= 0) { step(-1); }
    else { toggle(); }
    e.preventDefault();
  }
  // Keys go to whichever document has focus: this frame's or the Streamlit page around it.
  var listeners = new AbortController();
  document.addEventListener("keydown", onKey, { signal: listeners.signal });
  document.addEventListener("click", function (e) { e.preventDefault(); toggle(); }, { signal: listeners.signal });
  try {
    if (window.parent && window.parent !== window && window.parent.document) {
      window.parent.document.addEventListener("keydown", onKey, { signal: listeners.signal });
    }
  } catch (e) { /* another origin: keys reach us only when this frame has focus */ }
  window.addEventListener("pagehide", function () { listeners.abort(); });

  var clock = byId("clock");
  var bar = byId("frame-progress");
  var lastClock = "";
  var last = performance.now();
  function two(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = performance.now();
    var dt = (now - last) / 1000;
    last = now;
    if (!state.paused) {
      state.elapsed += dt;
      if (state.elapsed >= state.interval) { step(1); }
    }
    bar.style.transform = "scaleX(" + Math.min(1, state.elapsed / state.interval).toFixed(3) + ")";
    var d = new Date();
    var text = two(d.getHours()) + ":" + two(d.getMinutes());
    if (text !== lastClock) { clock.textContent = text; lastClock = text; }
  }

  var refitTimer = null;
  new ResizeObserver(function () {
    window.clearTimeout(refitTimer);
    refitTimer = window.setTimeout(function () {
      map.invalidateSize({ animate: false });
      fit(frames[state.index], false);
      fitRows(byId("panel-" + frames[state.index].view));
    }, 100);
  }).observe(byId("map"));

  restore();
  showStatus();
  apply(false);
  tick();
  window.setInterval(tick, 250);
  state.ready = true;
  document.body.dataset.ready = "1";
})();
