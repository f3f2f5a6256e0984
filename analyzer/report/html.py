"""Self-contained HTML: the interactive topology (vendored cytoscape.js and topology.js inlined) and inline SVG charts.

Nothing is fetched at view time: the graph library, the view's script, the data
and the styles are all in the one file. The page records what it drew on
`<body>` (data-nodes, data-edges, data-errors, data-ready, ...) so a headless
browser test can check it.
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from typing import Any

from analyzer.report.topology import HIGHLIGHT_COLOUR, LEGEND, PATTERN_COLOURS, PROBLEMS, Topology

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 1.5rem 2rem; color: #222; overflow-wrap: anywhere; }
h1, h2 { font-weight: 600; } h2 { margin-top: 1.6rem; }
table { border-collapse: collapse; margin: .3rem 0 .4rem; max-width: 100%; }
td, th { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; font-size: .9rem; vertical-align: top;
         overflow-wrap: anywhere; }
code { overflow-wrap: anywhere; white-space: pre-wrap; }
p.more { margin: 0 0 1rem; font-size: .85rem; color: #555; }
figure { margin: .5rem 0; } figure svg { max-width: 100%; height: auto; }
.sev-critical, .sev-high { color: #b00; } .sev-medium { color: #b60; }
body.app { margin: 0; height: 100vh; display: flex; flex-direction: column; overflow: hidden; }
body.app h1 { font-size: 1.05rem; margin: .35rem .8rem .1rem; }
.topology { display: flex; flex-direction: column; height: 82vh; min-height: 420px; border: 1px solid #ccc; }
body.app .topology { flex: 1; height: auto; min-height: 0; border: 0; border-top: 1px solid #ccc; }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem .6rem; padding: .35rem .6rem;
           font-size: .85rem; background: #fafafa; border-bottom: 1px solid #ddd; }
.toolbar input[type=search] { width: 17rem; font-size: .9rem; padding: .15rem .3rem; }
.toolbar .muted { color: #666; }
.seg button { border: 1px solid #999; background: #fff; padding: .1rem .55rem; cursor: pointer; }
.seg button.on { background: #345; color: #fff; }
.menu { position: relative; } .menu summary { cursor: pointer; }
.menu-body { position: absolute; z-index: 10; background: #fff; border: 1px solid #bbb; padding: .4rem .6rem;
             display: flex; flex-direction: column; gap: .15rem; white-space: nowrap; box-shadow: 0 2px 6px #0003; }
.legend { font-size: .78rem; color: #444; padding: .15rem .6rem; }
.legend span { display: inline-block; margin-right: .9rem; }
.legend i { display: inline-block; width: 1.4rem; height: .3rem; margin-right: .3rem; vertical-align: middle; }
.stage { position: relative; flex: 1; min-height: 0; }
#cy { position: absolute; inset: 0; }
#details { position: absolute; top: 0; right: 0; bottom: 0; width: min(27rem, 48%); overflow: auto; background: #fff;
           border-left: 1px solid #bbb; box-shadow: -2px 0 6px #0002; padding: .2rem .8rem; font-size: .85rem; }
#details[hidden] { display: none; }
#details table { width: 100%; } #details td { overflow-wrap: anywhere; }
#details th { overflow-wrap: normal; } #details td.short { white-space: nowrap; overflow-wrap: normal; }
#details h3 { margin: .4rem 0 .2rem; } #details h4 { margin: .6rem 0 .1rem; }
#details .close { float: right; margin-top: .4rem; }
#details button.peer { font-size: .78rem; margin: 0 .2rem .2rem 0; padding: 0 .3rem; cursor: pointer; }
"""

# First script of the page: records uncaught errors and console.error calls for the browser test.
ERROR_RECORDER = """
document.body.dataset.errors = '';
window.addEventListener('error', function (e) { document.body.dataset.errors += (e.message || 'error') + '\\n'; });
var consoleError = console.error;
console.error = function () { document.body.dataset.errors += Array.prototype.join.call(arguments, ' ') + '\\n'; consoleError.apply(console, arguments); };
"""


@cache
def _asset(name: str) -> str:
    return resources.files("analyzer.report").joinpath(name).read_text(encoding="utf-8")


def cytoscape_source() -> str:
    return _asset("vendor/cytoscape.min.js")


def script_json(value: Any) -> str:
    """JSON that is safe inside <script>: `</` cannot close the element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def topology_fragment(topology: Topology) -> tuple[str, str]:
    """(HTML body part, script) of the interactive diagram with its controls and legend."""
    legend = "".join(f'<span><i style="background:{PATTERN_COLOURS[key]}"></i>{html.escape(text)}</span>'
                     for key, text in LEGEND)
    legend += (f'<span><i style="background:{HIGHLIGHT_COLOUR}"></i>red: port collision (border), connect nobody '
               f'serves or socket kinds that do not pair (line)</span><span>orange border: connects to a port '
               f'nothing binds</span><span>dashed: crosses machines</span><span>grey, dashed: copy</span>'
               f'<span><b>click an agent</b>: its links and findings · scroll: zoom · drag: pan</span>')
    problems = "".join(f'<option value="{key}" data-name="{html.escape(name.capitalize())}">'
                       f'{html.escape(name.capitalize())}</option>' for key, name in PROBLEMS.items())
    body = (
        '<div class="topology" id="topology"><div class="toolbar">'
        '<input type="search" id="topo-search" placeholder="Search agent, module or port" '
        'aria-label="Search agents, modules and ports"><span id="topo-matches" class="muted"></span>'
        '<span class="seg"><button type="button" id="view-agents" class="on">Agents</button>'
        '<button type="button" id="view-ports" title="Ports as nodes between their binders and connectors">Ports'
        '</button></span>'
        f'<select id="topo-problem" aria-label="Show only a problem"><option value="">Every link</option>{problems}'
        '</select>'
        '<details class="menu"><summary>Machines</summary><div id="topo-machines" class="menu-body"></div></details>'
        '<details class="menu"><summary>Socket kinds</summary><div id="topo-kinds" class="menu-body"></div></details>'
        '<span id="topo-copies"></span><button type="button" id="topo-fit">Fit</button></div>'
        f'<div class="legend">{legend}</div>'
        '<div class="stage"><div id="cy"></div><aside id="details" hidden></aside></div></div>'
    )
    script = (_asset("topology.js").replace("__DATA__", script_json(topology.drawing()))
              .replace("__COLOURS__", script_json(PATTERN_COLOURS)).replace("__HIGHLIGHT__", HIGHLIGHT_COLOUR))
    return body, script


def bar_chart(title: str, bars: list[tuple[str, int]], colour: str = "#4e79a7") -> str:
    """A horizontal bar chart as inline SVG."""
    width, label_width, row = 560, 220, 22
    top = max((value for _, value in bars), default=0) or 1
    height = row * len(bars) + 10
    parts = [f'<figure><figcaption>{html.escape(title)}</figcaption>'
             f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img">']
    for index, (label, value) in enumerate(bars):
        y, length = index * row + 4, int((width - label_width - 50) * value / top)
        parts.append(f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end" font-size="12">{html.escape(label)}</text>'
                     f'<rect x="{label_width}" y="{y}" width="{length}" height="{row - 6}" fill="{colour}"></rect>'
                     f'<text x="{label_width + length + 4}" y="{y + 13}" font-size="12">{value}</text>')
    return "".join(parts) + "</svg></figure>"


def page(title: str, body: str, scripts: list[str], app: bool = False) -> str:
    """One self-contained HTML document; `scripts` run after the body. `app`: the body fills the window, no scrolling."""
    inline = "".join(f"<script>{script}</script>" for script in [ERROR_RECORDER, *scripts])
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            f'<style>{STYLE}</style></head><body{" class=app" if app else ""}>{body}{inline}</body></html>')


def topology_page(topology: Topology, title: str) -> str:
    body, script = topology_fragment(topology)
    return page(title, f"<h1>{html.escape(title)}</h1>{body}", [cytoscape_source(), script], app=True)
