"""Self-contained HTML: the interactive topology (vendored cytoscape.js inlined) and inline SVG bar charts.

Nothing is fetched at view time: the graph library, the data and the styles are
all in the one file. The page records what it drew on `<body>` (data-nodes,
data-edges, data-errors) so a headless browser test can check it.
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from typing import Any

from analyzer.report.topology import HIGHLIGHT_COLOUR, LEGEND, PATTERN_COLOURS, Topology

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 1.5rem 2rem; color: #222; }
h1, h2 { font-weight: 600; } table { border-collapse: collapse; margin: .5rem 0 1rem; }
td, th { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; font-size: .9rem; vertical-align: top; }
.topology { display: flex; gap: 1rem; } #cy { flex: 1; height: 640px; border: 1px solid #ccc; }
#details { width: 26rem; max-height: 640px; overflow: auto; font-size: .9rem; }
.legend span { display: inline-block; margin-right: 1rem; font-size: .85rem; }
.legend i { display: inline-block; width: 1.6rem; height: .3rem; margin-right: .3rem; vertical-align: middle; }
.sev-critical, .sev-high { color: #b00; } .sev-medium { color: #b60; }
"""

# Builds the graph, wires click -> details, and records what was drawn for tests. `__DATA__` is the model.
TOPOLOGY_SCRIPT = """
(function () {
  var data = __DATA__;
  var elements = [];
  data.machines.forEach(function (m) { elements.push({data: {id: 'machine:' + m, label: m}, classes: 'machine'}); });
  // Each machine is a block of three columns, side by side; unbound ports go in a column of their own.
  var slots = {};
  function position(machine) {
    var k = slots[machine] = (slots[machine] === undefined ? 0 : slots[machine] + 1);
    var block = machine === '' ? data.machines.length : data.machines.indexOf(machine);
    return {x: block * 480 + (k % 3) * 150, y: Math.floor(k / 3) * 110 + (k % 3) * 25};
  }
  data.nodes.forEach(function (n) {
    var classes = ['agent'];
    if (n.collision_ports.length) classes.push('collision');
    if (n.orphan_ports.length) classes.push('orphan');
    if (n.backup) classes.push('backup');
    elements.push({data: {id: n.id, label: n.label, parent: 'machine:' + n.machine}, classes: classes.join(' '),
                   position: position(n.machine)});
  });
  data.unbound_ports.forEach(function (p) {
    elements.push({data: {id: 'port:' + p, label: p + ': nothing binds'}, classes: 'port orphan', position: position('')});
  });
  data.edges.forEach(function (e, i) {
    var classes = [e.pattern];
    if (e.cross_machine) classes.push('cross');
    if (e.orphan) classes.push('orphan');
    elements.push({data: {id: 'edge' + i, source: e.source, target: e.target, label: e.label,
                          colour: e.orphan ? '__HIGHLIGHT__' : __COLOURS__[e.pattern]}, classes: classes.join(' ')});
  });
  var cy = cytoscape({
    container: document.getElementById('cy'), elements: elements,
    layout: {name: 'preset', fit: true, padding: 30},
    style: [
      {selector: 'node', style: {'label': 'data(label)', 'font-size': 10, 'background-color': '#9ecae1',
                                 'text-valign': 'bottom', 'text-margin-y': 3}},
      {selector: 'node.machine', style: {'background-color': '#f4f4f4', 'border-color': '#888', 'border-width': 1,
                                         'text-valign': 'top', 'font-size': 14, 'font-weight': 'bold'}},
      {selector: 'node.backup', style: {'background-color': '#ddd', 'border-style': 'dashed', 'border-width': 2}},
      {selector: 'node.collision', style: {'border-color': '__HIGHLIGHT__', 'border-width': 4}},
      {selector: 'node.port', style: {'shape': 'diamond', 'background-color': '#fde0e0',
                                      'border-color': '__HIGHLIGHT__', 'border-width': 2}},
      {selector: 'edge', style: {'width': 2, 'line-color': 'data(colour)', 'target-arrow-color': 'data(colour)',
                                 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', 'label': 'data(label)',
                                 'font-size': 8, 'text-rotation': 'autorotate', 'color': '#555'}},
      {selector: 'edge.cross, edge.orphan, edge.depends', style: {'line-style': 'dashed'}},
      {selector: ':selected', style: {'overlay-opacity': 0.2}}
    ]
  });
  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });
  function add(parent, tag, text) { var el = document.createElement(tag); el.textContent = text; parent.appendChild(el); return el; }
  function table(parent, header, rows) {
    if (!rows.length) return;
    var t = add(parent, 'table', ''), tr = add(t, 'tr', '');
    header.forEach(function (h) { add(tr, 'th', h); });
    rows.forEach(function (r) { var row = add(t, 'tr', ''); r.forEach(function (c) { add(row, 'td', c === null ? '?' : String(c)); }); });
  }
  function show(id) {
    var panel = document.getElementById('details'), n = byId[id];
    panel.textContent = '';
    if (!n) { add(panel, 'p', id.indexOf('port:') === 0 ? 'Port ' + id.slice(5) + ': connected to, bound by no module.' : id); return; }
    add(panel, 'h3', n.label);
    add(panel, 'p', n.id + ' (' + n.machine + (n.backup ? ', backup copy' : '') + ')');
    var ports = n.binds.concat(n.connects).map(function (p) { return [p.action, p.port, p.socket_kind, p.line, p.port_source, p.port_origin]; });
    table(panel, ['action', 'port', 'kind', 'line', 'resolved from', 'origin'], ports);
    if (n.collision_ports.length) add(panel, 'p', 'Port collision on ' + n.collision_ports.join(', ')).className = 'sev-high';
    if (n.orphan_ports.length) add(panel, 'p', 'Connects to unbound ' + n.orphan_ports.join(', ')).className = 'sev-medium';
    table(panel, ['severity', 'check', 'line', 'finding'], n.findings.map(function (f) { return [f.severity, f.check, f.line, f.message]; }));
  }
  cy.on('tap', 'node', function (event) { if (!event.target.hasClass('machine')) show(event.target.id()); });
  document.body.dataset.nodes = String(cy.nodes('.agent, .port').length);
  document.body.dataset.edges = String(cy.edges().length);
})();
"""

# First script of the page: records uncaught errors and console.error calls for the browser test.
ERROR_RECORDER = """
document.body.dataset.errors = '';
window.addEventListener('error', function (e) { document.body.dataset.errors += (e.message || 'error') + '\\n'; });
var consoleError = console.error;
console.error = function () { document.body.dataset.errors += Array.prototype.join.call(arguments, ' ') + '\\n'; consoleError.apply(console, arguments); };
"""


@cache
def cytoscape_source() -> str:
    return resources.files("analyzer.report").joinpath("vendor/cytoscape.min.js").read_text(encoding="utf-8")


def script_json(value: Any) -> str:
    """JSON that is safe inside <script>: `</` cannot close the element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def topology_fragment(topology: Topology) -> tuple[str, str]:
    """(HTML body part, script) of the interactive diagram with its legend."""
    legend = "".join(f'<span><i style="background:{PATTERN_COLOURS[key]}"></i>{html.escape(text)}</span>'
                     for key, text in LEGEND)
    legend += (f'<span><i style="background:{HIGHLIGHT_COLOUR}"></i>red border: port collision; red diamond and '
               f'edge: connect to a port nothing binds; dashed: crosses machines; grey: backup copy</span>')
    body = (f'<div class="legend">{legend}</div><div class="topology"><div id="cy"></div>'
            f'<div id="details"><p>Click an agent to see its file, ports and findings. Scroll to zoom, '
            f'drag to pan.</p></div></div>')
    script = (TOPOLOGY_SCRIPT.replace("__DATA__", script_json(topology.as_dict()))
              .replace("__COLOURS__", script_json(PATTERN_COLOURS)).replace("__HIGHLIGHT__", HIGHLIGHT_COLOUR))
    return body, script


def bar_chart(title: str, bars: list[tuple[str, int]], colour: str = "#4e79a7") -> str:
    """A horizontal bar chart as inline SVG."""
    width, label_width, row = 560, 220, 22
    top = max((value for _, value in bars), default=0) or 1
    height = row * len(bars) + 10
    parts = [f'<figure><figcaption>{html.escape(title)}</figcaption>'
             f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for index, (label, value) in enumerate(bars):
        y, length = index * row + 4, int((width - label_width - 50) * value / top)
        parts.append(f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end" font-size="12">{html.escape(label)}</text>'
                     f'<rect x="{label_width}" y="{y}" width="{length}" height="{row - 6}" fill="{colour}"></rect>'
                     f'<text x="{label_width + length + 4}" y="{y + 13}" font-size="12">{value}</text>')
    return "".join(parts) + "</svg></figure>"


def page(title: str, body: str, scripts: list[str]) -> str:
    """One self-contained HTML document; `scripts` run after the body, cytoscape first when given."""
    inline = "".join(f"<script>{script}</script>" for script in [ERROR_RECORDER, *scripts])
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>{body}{inline}</body></html>")


def topology_page(topology: Topology, title: str) -> str:
    body, script = topology_fragment(topology)
    return page(title, f"<h1>{html.escape(title)}</h1>{body}", [cytoscape_source(), script])
