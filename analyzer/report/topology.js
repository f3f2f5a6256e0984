// The interactive topology (analyzer/report/html.py inlines this after cytoscape.js, with the model as `data`).
// Agents sit in one box per machine, boxes side by side, each box a grid of labelled nodes whose row count is
// chosen so the whole drawing fills the view at the largest zoom. The port view adds one node per port between
// its binders and connectors. What is drawn is recorded on <body> (data-*) and the instance is window.topologyView,
// so a headless browser can check the page.
(function () {
  var started = performance.now();
  var data = __DATA__;
  var colours = __COLOURS__, highlight = '__HIGHLIGHT__';
  var FONT = 12, NODE_H = 22, ROW_H = 30, GAP_X = 14, PAD = 12, GROUP_GAP = 36, LABEL_H = 22, MARGIN = 10;
  var MAX_ZOOM = 1.6;
  var FONT_FAMILY = 'Helvetica, Arial, sans-serif';
  var root = document.getElementById('topology'), body = document.body;
  var $ = function (id) { return document.getElementById(id); };
  var measure = document.createElement('canvas').getContext('2d');
  measure.font = FONT + 'px ' + FONT_FAMILY;
  function width(text) { return Math.ceil(measure.measureText(text).width) + 16; }
  function tagWidth(text) { return width(text) + 12; }  // the tag shape's point takes room
  function kindOf(port) { return port.socket_kind ? port.socket_kind.toUpperCase() : '?'; }

  var byId = {}, ports = {}, kinds = {};
  data.nodes.forEach(function (n) {
    byId[n.id] = n;
    n.binds.concat(n.connects).forEach(function (p) {
      kinds[kindOf(p)] = true;
      if (p.port === null) return;
      var info = ports[p.port] = ports[p.port] || {binders: [], connectors: []};
      (p.action === 'bind' ? info.binders : info.connectors).push({id: n.id, kind: kindOf(p)});
    });
  });
  var unbound = {};
  data.unbound_ports.forEach(function (p) { unbound[p] = true; });

  // --- elements: the live agents first; copies and the port view are added the first time they are shown ---
  var base = [], copyElements = [], portNodes = [], portEdges = {live: [], copies: []};
  data.machines.forEach(function (m) {
    base.push({data: {id: 'machine:' + m, label: m}, classes: 'group machine'});
  });
  base.push({data: {id: 'group:unbound', label: 'nothing binds'}, classes: 'group'});
  base.push({data: {id: 'group:ports', label: 'ports'}, classes: 'group'});
  data.nodes.forEach(function (n) {
    var classes = ['agent', n.agent ? 'live-agent' : 'module'];
    if (n.collision_ports.length) classes.push('collision');
    if (n.orphan_ports.length) classes.push('orphan');
    if (n.copy) classes.push('copy');
    (n.copy ? copyElements : base).push({data: {id: n.id, label: n.label, w: width(n.label),
                                                parent: 'machine:' + n.machine}, classes: classes.join(' ')});
  });
  data.unbound_ports.forEach(function (p) {
    var label = p + ' (nothing binds)';
    base.push({data: {id: 'port:' + p, label: label, w: width(label), port: p, parent: 'group:unbound'},
               classes: 'unbound'});
  });
  function isCopy(id) { return byId[id] !== undefined && byId[id].copy; }
  data.edges.forEach(function (e, i) {
    var classes = ['link', 'av', e.pattern];
    if (e.cross_machine) classes.push('cross');
    if (e.orphan) classes.push('orphan');
    if (e.mismatch) classes.push('mismatch');
    (isCopy(e.source) || isCopy(e.target) ? copyElements : base).push({
      data: {id: 'e' + i, index: i, source: e.source, target: e.target, label: e.label,
             colour: e.orphan || e.mismatch ? highlight : colours[e.pattern]}, classes: classes.join(' ')});
  });
  Object.keys(ports).forEach(function (p) {
    var info = ports[p], label = info.binders.length ? p : p + ' (nothing binds)';
    portNodes.push({data: {id: 'pv:' + p, label: label, w: tagWidth(label), port: +p, parent: 'group:ports'},
                    classes: 'portnode' + (info.binders.length ? '' : ' nobinder')});
    info.binders.forEach(function (b, k) {
      portEdges[isCopy(b.id) ? 'copies' : 'live'].push({
        data: {id: 'pb:' + p + ':' + k, source: 'pv:' + p, target: b.id, label: 'bound by ' + b.kind,
               colour: '#555', kind: b.kind, port: +p}, classes: 'link pv bind'});
    });
    info.connectors.forEach(function (c, k) {
      portEdges[isCopy(c.id) ? 'copies' : 'live'].push({
        data: {id: 'pc:' + p + ':' + k, source: c.id, target: 'pv:' + p, label: c.kind + ' connects',
               colour: '#999', kind: c.kind, port: +p}, classes: 'link pv connect'});
    });
  });
  var added = {copies: false, ports: false};
  function addElements(copies, portView) {
    var more = [];
    if (copies && !added.copies) more = more.concat(copyElements, added.ports ? portEdges.copies : []);
    if (portView && !added.ports) more = more.concat(portNodes, portEdges.live, copies ? portEdges.copies : []);
    added.copies = added.copies || copies;
    added.ports = added.ports || portView;
    if (more.length) cy.add(more);
  }

  var cy = cytoscape({
    container: $('cy'), elements: base, layout: {name: 'preset'}, minZoom: 0.05, maxZoom: 4,
    wheelSensitivity: 0.3, boxSelectionEnabled: false,
    style: [
      {selector: 'node', style: {'label': 'data(label)', 'font-size': FONT, 'font-family': FONT_FAMILY,
                                 'text-valign': 'center', 'text-halign': 'center', 'color': '#111',
                                 'shape': 'round-rectangle', 'width': 'data(w)', 'height': NODE_H,
                                 'background-color': '#d6e6f5', 'border-width': 1, 'border-color': '#6b8fb3'}},
      {selector: 'node.module', style: {'background-color': '#eef2e4', 'border-color': '#8a9a6b'}},
      {selector: 'node.copy', style: {'background-color': '#eeeeee', 'border-style': 'dashed', 'color': '#555'}},
      {selector: 'node.collision', style: {'border-color': highlight, 'border-width': 3}},
      {selector: 'node.orphan', style: {'border-color': '#e6550d', 'border-width': 3}},
      {selector: 'node.unbound, node.nobinder', style: {'background-color': '#fde0e0', 'border-color': highlight}},
      {selector: 'node.portnode', style: {'shape': 'tag', 'background-color': '#fff4c2', 'border-color': '#b8960c'}},
      {selector: 'node.portnode.contested', style: {'background-color': '#f8c9c9', 'border-color': highlight,
                                                    'border-width': 3}},
      {selector: 'node.group', style: {'shape': 'round-rectangle', 'background-color': '#f6f6f6',
                                       'border-color': '#9a9a9a', 'border-width': 1, 'padding': PAD,
                                       'text-valign': 'top', 'text-halign': 'center', 'text-margin-y': -4,
                                       'font-size': 15, 'font-weight': 'bold', 'color': '#333'}},
      {selector: 'edge', style: {'width': 1.2, 'line-color': 'data(colour)', 'target-arrow-color': 'data(colour)',
                                 'target-arrow-shape': 'triangle', 'arrow-scale': 0.7, 'curve-style': 'straight',
                                 'opacity': 0.45}},
      {selector: 'edge.cross, edge.orphan, edge.depends, edge.connect', style: {'line-style': 'dashed'}},
      {selector: 'edge.orphan, edge.mismatch', style: {'width': 2, 'opacity': 0.85}},
      {selector: '.dim', style: {'opacity': 0.12}},
      {selector: 'edge.dim', style: {'opacity': 0.04}},
      {selector: 'node.match', style: {'background-color': '#ffe066', 'border-color': '#000', 'border-width': 3}},
      {selector: 'node.focused', style: {'border-color': '#000', 'border-width': 4}},
      {selector: 'edge.focus', style: {'opacity': 1, 'width': 2.2, 'label': 'data(label)', 'font-size': 10,
                                       'text-rotation': 'autorotate', 'text-background-color': '#fff',
                                       'text-background-opacity': 0.85, 'text-background-padding': 1,
                                       'color': '#222', 'font-family': FONT_FAMILY}},
      {selector: '.hidden', style: {'display': 'none'}}
    ]
  });

  // --- state and filters ----------------------------------------------------------------------------------
  var state = {view: 'agents', copies: false, problem: '', machines: {}, kinds: {}, focus: null};
  data.machines.forEach(function (m) { state.machines[m] = true; });
  Object.keys(kinds).forEach(function (k) { state.kinds[k] = true; });

  function kindShown(kind) { return state.kinds[kind || '?'] !== false; }
  function agentShown(n) {
    return (state.copies || !n.copy) && state.machines[n.machine] &&
      n.binds.concat(n.connects).some(function (p) { return kindShown(kindOf(p)); });
  }
  function edgeKindShown(e) {  // either end's kind; an orphan connect has no bind end
    return e.pattern === 'depends' || kindShown(e.connect_kind.toUpperCase()) ||
      (!e.orphan && kindShown(e.bind_kind.toUpperCase()));
  }

  // Ports that two shown binders of one machine bind, where port-collisions reports them: port -> binder ids.
  function contestedPorts(shown) {
    var found = {};
    Object.keys(ports).forEach(function (p) {
      var perMachine = {};
      ports[p].binders.forEach(function (b) {
        var n = byId[b.id];
        if (!shown[b.id] || n.collision_ports.indexOf(+p) < 0) return;
        (perMachine[n.machine] = perMachine[n.machine] || []).push(b.id);
      });
      Object.keys(perMachine).forEach(function (m) {
        if (perMachine[m].length > 1) found[p] = (found[p] || []).concat(perMachine[m]);
      });
    });
    return found;
  }

  // What a problem filter keeps: {nodes: id -> true, edges: model edge index -> true, ports: port -> true}.
  function problemSet(problem, shown, contested) {
    var keep = {nodes: {}, edges: {}, ports: {}};
    data.edges.forEach(function (e, i) {
      if (!shown[e.source] || !(shown[e.target] || e.orphan)) return;
      var hit = problem === 'orphan' ? e.orphan : problem === 'mismatch' ? e.mismatch :
        problem === 'cross' ? e.cross_machine : (contested[e.port] || []).indexOf(e.target) >= 0;
      if (!hit) return;
      keep.edges[i] = keep.nodes[e.source] = keep.nodes[e.target] = true;
      if (e.port !== null) keep.ports[e.port] = true;
    });
    if (problem === 'collision') {
      Object.keys(contested).forEach(function (p) {
        keep.ports[p] = true;
        contested[p].forEach(function (id) { keep.nodes[id] = true; });
      });
    }
    if (problem === 'orphan') {
      data.nodes.forEach(function (n) {
        if (shown[n.id] && n.orphan_ports.length) keep.nodes[n.id] = true;
      });
    }
    return keep;
  }

  function apply() {
    addElements(state.copies, state.view === 'ports');
    var shown = {};
    data.nodes.forEach(function (n) { shown[n.id] = agentShown(n); });
    var contested = contestedPorts(shown);
    var keep = state.problem ? problemSet(state.problem, shown, contested) : null;
    var agentView = state.view === 'agents';
    cy.batch(function () {
      cy.nodes('.agent').forEach(function (node) {
        var visible = shown[node.id()] && (!keep || keep.nodes[node.id()]);
        node.toggleClass('hidden', !visible);
        node.toggleClass('collision', visible && byId[node.id()].collision_ports.some(function (p) {
          return (contested[p] || []).indexOf(node.id()) >= 0; }));
      });
      var reachedUnbound = {};
      cy.edges('.av').forEach(function (edge) {
        var e = data.edges[edge.data('index')];
        var visible = agentView && shown[e.source] && (shown[e.target] || e.orphan) && edgeKindShown(e) &&
          (!keep || keep.edges[edge.data('index')]);
        edge.toggleClass('hidden', !visible);
        if (visible && e.orphan) reachedUnbound[e.target] = true;
      });
      cy.nodes('.unbound').forEach(function (node) { node.toggleClass('hidden', !reachedUnbound[node.id()]); });
      var portUsed = {};
      cy.edges('.pv').forEach(function (edge) {
        var agent = edge.hasClass('bind') ? edge.target().id() : edge.source().id(), port = edge.data('port');
        var visible = !agentView && shown[agent] && kindShown(edge.data('kind')) &&
          (!keep || (keep.ports[port] && keep.nodes[agent]));
        edge.toggleClass('hidden', !visible);
        if (visible) portUsed[port] = true;
      });
      cy.nodes('.portnode').forEach(function (node) {
        node.toggleClass('hidden', !portUsed[node.data('port')]);
        node.toggleClass('contested', !!contested[node.data('port')]);
      });
      cy.nodes('.group').forEach(function (group) {
        group.toggleClass('hidden', group.children().not('.hidden').length === 0);
      });
    });
    countProblems(shown, contested);
    clearFocus();
    layout();
    runSearch();
  }

  function countProblems(shown, contested) {
    var select = $('topo-problem');
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      var keep = problemSet(option.value, shown, contested);
      var count = option.value === 'collision' ? Object.keys(contested).length :
        Object.keys(keep.edges).length || Object.keys(keep.nodes).length;
      option.textContent = option.dataset.name + ' (' + count + ')';
    });
  }

  // --- layout: one grid per group, groups side by side, the row count that gives the largest zoom -------
  function groupsInOrder() {
    var machines = data.machines.map(function (m) { return cy.getElementById('machine:' + m); });
    var extra = cy.getElementById(state.view === 'agents' ? 'group:unbound' : 'group:ports');
    var order = state.view === 'agents' ? machines.concat([extra]) :
      machines.slice(0, Math.ceil(machines.length / 2)).concat([extra], machines.slice(Math.ceil(machines.length / 2)));
    return order.filter(function (g) { return !g.hasClass('hidden'); }).map(function (g) {
      var items = g.children().not('.hidden').toArray().sort(function (a, b) {
        var pa = a.data('port'), pb = b.data('port');
        if (pa !== undefined && pb !== undefined) return pa - pb;
        return a.data('label') < b.data('label') ? -1 : a.data('label') > b.data('label') ? 1 :
          (a.id() < b.id() ? -1 : 1);
      });
      return {group: g, items: items, widths: items.map(function (n) { return n.data('w'); })};
    });
  }

  function columns(widths, rows) {
    var result = [];
    for (var start = 0; start < widths.length; start += rows) {
      result.push(Math.max.apply(null, widths.slice(start, start + rows)));
    }
    return result;
  }

  // The row count shared by every group is the one at which the drawing, fitted to the view, is largest.
  function layout() {
    var groups = groupsInOrder();
    cy.resize();  // the container may have changed size since cytoscape measured it (controls added, window resized)
    var W = cy.width() - 2 * MARGIN, H = cy.height() - 2 * MARGIN;
    if (!groups.length || W <= 0 || H <= 0) { record(); return; }
    var most = Math.max.apply(null, groups.map(function (g) { return g.items.length; }));
    var best = null;
    for (var rows = 1; rows <= most; rows++) {
      var total = GROUP_GAP * (groups.length - 1), cols = [];
      groups.forEach(function (g) {
        var c = columns(g.widths, rows);
        cols.push(c);
        total += c.reduce(function (s, w) { return s + w + GAP_X; }, -GAP_X) + 2 * PAD;
      });
      var height = rows * ROW_H - (ROW_H - NODE_H) + 2 * PAD + LABEL_H;
      var zoom = Math.min(W / total, H / height);
      if (!best || zoom > best.zoom) best = {zoom: zoom, rows: rows, cols: cols, width: total, height: height};
    }
    cy.batch(function () {
      var x = 0;
      groups.forEach(function (g, gi) {
        var left = x + PAD;
        best.cols[gi].forEach(function (colWidth, c) {
          g.items.slice(c * best.rows, (c + 1) * best.rows).forEach(function (node, r) {
            node.position({x: left + colWidth / 2, y: LABEL_H + PAD + r * ROW_H + NODE_H / 2});
          });
          left += colWidth + GAP_X;
        });
        x = left - GAP_X + PAD + GROUP_GAP;
      });
    });
    // The extent is known, so the view is set directly (cy.fit would measure every element and label again).
    var zoom = Math.min(best.zoom, MAX_ZOOM);
    cy.viewport({zoom: zoom, pan: {x: (cy.width() - best.width * zoom) / 2,
                                   y: Math.max(MARGIN, (cy.height() - best.height * zoom) / 2)}});
    record();
  }

  function fit() {
    cy.fit(cy.elements().not('.hidden'), MARGIN);
    if (cy.zoom() > MAX_ZOOM) cy.zoom({level: MAX_ZOOM, renderedPosition: {x: cy.width() / 2, y: cy.height() / 2}});
    record();
  }

  function record() {
    body.dataset.nodes = String(cy.nodes('.agent, .unbound, .portnode').not('.hidden').length);
    body.dataset.edges = String(cy.edges().not('.hidden').length);
    body.dataset.zoom = cy.zoom().toFixed(3);
    body.dataset.view = state.view;
  }

  // --- focus: an agent's neighbourhood, the rest dimmed, the details panel -------------------------------
  // The other shown binders of the ports this agent collides on (same machine, reported by port-collisions):
  // port -> their ids, for the ports that have any.
  function rivalsByPort(n) {
    var found = {};
    n.collision_ports.forEach(function (p) {
      ports[p].binders.forEach(function (b) {
        var other = cy.getElementById(b.id);
        if (b.id === n.id || byId[b.id].machine !== n.machine || !other.length || other.hasClass('hidden')) return;
        found[p] = found[p] || [];
        if (found[p].indexOf(b.id) < 0) found[p].push(b.id);
      });
    });
    return found;
  }
  function rivals(n) {
    var byPort = rivalsByPort(n), found = [];
    Object.keys(byPort).forEach(function (p) {
      byPort[p].forEach(function (id) { if (found.indexOf(id) < 0) found.push(id); });
    });
    return found;
  }

  function neighbourhood(node) {
    var hood = node.closedNeighborhood().not('.hidden');
    if (byId[node.id()]) rivals(byId[node.id()]).forEach(function (id) { hood = hood.union(cy.getElementById(id)); });
    if (state.view === 'ports') {  // through its ports to the agents on their other side
      hood.nodes('.portnode').forEach(function (port) { hood = hood.union(port.closedNeighborhood().not('.hidden')); });
    }
    return hood.union(hood.nodes().parents());
  }

  function focus(id) {
    var node = cy.getElementById(id);
    if (!node.length || node.hasClass('hidden')) return;
    var hood = neighbourhood(node);
    cy.batch(function () {
      cy.elements().removeClass('focus focused match').not('.group').addClass('dim');
      hood.removeClass('dim').addClass('focus');
      node.addClass('focused');
    });
    state.focus = id;
    body.dataset.focus = id;
    body.dataset.focusNodes = String(hood.nodes('.agent, .unbound, .portnode').length);
    body.dataset.focusEdges = String(hood.edges().length);
    details(node);
  }

  function clearFocus() {
    cy.elements().removeClass('dim focus focused');
    state.focus = null;
    body.dataset.focus = '';
    $('details').hidden = true;
  }

  function add(parent, tag, text, className) {
    var el = document.createElement(tag);
    if (text !== undefined) el.textContent = text;
    if (className) el.className = className;
    parent.appendChild(el);
    return el;
  }

  function peerButtons(cell, ids) {
    ids.forEach(function (id) {
      var b = add(cell, 'button', byId[id] ? byId[id].label : id, 'peer');
      b.title = id;
      b.onclick = function () { focus(id); };
    });
  }

  function table(parent, header, rows) {
    if (!rows.length) return;
    var t = add(parent, 'table'), tr = add(t, 'tr');
    header.forEach(function (h) { add(tr, 'th', h); });
    rows.forEach(function (r) {
      var row = add(t, 'tr');
      r.forEach(function (c) {
        var td = add(row, 'td');
        if (Array.isArray(c)) { peerButtons(td, c); return; }
        td.textContent = c === null || c === '' ? '?' : String(c);
        if (td.textContent.length <= 8) td.className = 'short';
      });
    });
  }

  function shownEdges(filter) {
    return cy.edges('.av').not('.hidden').map(function (edge) { return data.edges[edge.data('index')]; }).filter(filter);
  }

  function details(node) {
    var panel = $('details'), n = byId[node.id()];
    panel.textContent = '';
    panel.hidden = false;
    add(panel, 'button', 'close', 'close').onclick = clearFocus;
    if (!n) {
      var port = node.data('port'), info = ports[port] || {binders: [], connectors: []};
      add(panel, 'h3', 'Port ' + port);
      if (!info.binders.length) add(panel, 'p', 'Connected to, bound by no module.', 'sev-medium');
      if (node.hasClass('contested')) add(panel, 'p', 'Port collision: bound twice on one machine.', 'sev-high');
      table(panel, ['binds', 'kind'], info.binders.map(function (b) { return [[b.id], b.kind]; }));
      table(panel, ['connects', 'kind'], info.connectors.map(function (c) { return [[c.id], c.kind]; }));
      return;
    }
    add(panel, 'h3', n.label);
    add(panel, 'p', n.id + ' · ' + n.machine + ' · ' + (n.agent ? 'agent' : 'module') +
        (n.copy ? ' · copy (' + n.copy_reason + ')' : ''));
    add(panel, 'h4', 'Binds');
    table(panel, ['port', 'kind', 'line', 'resolved from', 'peers connecting'], n.binds.map(function (p) {
      return [p.port, kindOf(p), p.line, [p.port_source, p.port_origin].filter(Boolean).join(' '),
              shownEdges(function (e) { return e.target === n.id && e.port === p.port; }).map(function (e) { return e.source; })];
    }));
    add(panel, 'h4', 'Connects');
    table(panel, ['port', 'kind', 'line', 'resolved from', 'peers binding'], n.connects.map(function (p) {
      return [p.port, kindOf(p), p.line, [p.port_source, p.port_origin].filter(Boolean).join(' '),
              shownEdges(function (e) { return e.source === n.id && e.port === p.port && !e.orphan; })
                .map(function (e) { return e.target; })];
    }));
    var contested = rivalsByPort(n);
    Object.keys(contested).forEach(function (p) {
      peerButtons(add(panel, 'p', 'Port collision on ' + p + ', also bound by ', 'sev-high'), contested[p]);
    });
    if (n.orphan_ports.length) add(panel, 'p', 'Connects to ' + n.orphan_ports.join(', ') + ', which nothing binds',
                                   'sev-medium');
    shownEdges(function (e) { return e.mismatch && (e.source === n.id || e.target === n.id); }).forEach(function (e) {
      add(panel, 'p', 'Socket kinds that do not pair: ' + e.label + ' (' + e.source + ' → ' + e.target + ')', 'sev-medium');
    });
    add(panel, 'h4', 'Findings (' + n.findings.length + ')');
    table(panel, ['severity', 'check', 'line', 'finding'], n.findings.map(function (f) {
      return [f.severity, f.check, f.line, f.message];
    }));
  }

  // --- search ---------------------------------------------------------------------------------------------
  var search = $('topo-search'), matches = cy.collection();
  function hasPort(n, port) {
    return n.binds.concat(n.connects).some(function (p) { return p.port === port; });
  }
  function runSearch() {
    var text = search.value.trim().toLowerCase(), number = /^\d+$/.test(text) ? +text : null;
    cy.nodes().removeClass('match');
    if (!state.focus) cy.elements().removeClass('dim');
    matches = cy.collection();
    if (!text) { $('topo-matches').textContent = ''; body.dataset.matches = ''; return; }
    matches = cy.nodes('.agent, .unbound, .portnode').not('.hidden').filter(function (node) {
      var n = byId[node.id()];
      if (!n) return number !== null && node.data('port') === number;
      return n.label.toLowerCase().indexOf(text) >= 0 || n.id.toLowerCase().indexOf(text) >= 0 ||
        n.name.toLowerCase().indexOf(text) >= 0 || (number !== null && hasPort(n, number));
    });
    if (matches.length) {
      cy.batch(function () {
        cy.elements().not('.group').addClass('dim');
        matches.removeClass('dim').addClass('match');
      });
    }
    $('topo-matches').textContent = matches.length + (matches.length === 1 ? ' match' : ' matches') +
      (matches.length ? ' (Enter: focus the first)' : '');
    body.dataset.matches = String(matches.length);
  }
  var searchTimer = null;
  search.addEventListener('input', function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { clearFocus(); runSearch(); }, 120);
  });
  search.addEventListener('keydown', function (event) {
    if (event.key === 'Enter') {
      clearTimeout(searchTimer);
      clearFocus();
      runSearch();
      if (matches.length) {
        focus(matches[0].id());
        cy.center(matches[0]);
      }
    } else if (event.key === 'Escape') {
      search.value = '';
      clearFocus();
      runSearch();
    }
  });

  // --- controls -------------------------------------------------------------------------------------------
  function checkbox(parent, label, checked, onChange) {
    var l = add(parent, 'label'), box = add(l, 'input');
    box.type = 'checkbox';
    box.checked = checked;
    box.onchange = function () { onChange(box.checked); apply(); };
    l.appendChild(document.createTextNode(' ' + label));
    return box;
  }
  data.machines.forEach(function (m) {
    checkbox($('topo-machines'), m, true, function (on) { state.machines[m] = on; });
  });
  Object.keys(kinds).sort().forEach(function (k) {
    checkbox($('topo-kinds'), k === '?' ? 'unknown' : k, true, function (on) { state.kinds[k] = on; });
  });
  var copies = data.nodes.filter(function (n) { return n.copy; }).length;
  if (copies) {
    checkbox($('topo-copies'), 'copies (' + copies + ')', false, function (on) { state.copies = on; }).id = 'topo-copies-box';
  }
  $('topo-problem').onchange = function () { state.problem = this.value; apply(); };
  ['agents', 'ports'].forEach(function (view) {
    $('view-' + view).onclick = function () {
      state.view = view;
      $('view-agents').classList.toggle('on', view === 'agents');
      $('view-ports').classList.toggle('on', view === 'ports');
      apply();
    };
  });
  $('topo-fit').onclick = function () { clearFocus(); fit(); };
  cy.on('tap', 'node', function (event) { if (!event.target.hasClass('group')) focus(event.target.id()); });
  cy.on('tap', function (event) { if (event.target === cy) clearFocus(); });
  var resizeTimer = null;
  window.addEventListener('resize', function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(layout, 150); });

  apply();
  window.topologyView = {cy: cy, state: state, focus: focus, apply: apply};
  requestAnimationFrame(function () {
    body.dataset.renderMs = String(Math.round(performance.now() - started));
    body.dataset.ready = '1';
  });
})();
