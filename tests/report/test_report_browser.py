"""The topology and the report in headless chromium: no errors, nothing fetched, a layout a person can read at
150 agents (no two labels overlap, every machine on screen, legible at the default zoom), search, click-to-focus,
filters and the port view working. Screenshots and the measured figures are kept under test-artifacts/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from tests.report.browser import Chromium

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTH, HEIGHT = 1280, 800
LEGIBLE_PX = 9  # the smallest rendered label font a person reads without zooming
LABEL_FONT = 12  # topology.js draws labels at this size at zoom 1

# The drawn layout, read from cytoscape: label boxes of the shown nodes, machine boxes, zoom, view size.
LAYOUT = """(function () {
  var cy = window.topologyView.cy, box = document.getElementById('cy').getBoundingClientRect();
  function rect(b) { return [b.x1, b.y1, b.x2, b.y2]; }
  return JSON.stringify({
    zoom: cy.zoom(), width: cy.width(), height: cy.height(), left: box.left, top: box.top,
    nodes: cy.nodes('.agent, .unbound, .portnode').not('.hidden').map(function (n) {
      return {id: n.id(), label: n.data('label'), box: rect(n.renderedBoundingBox({includeLabels: true})),
              at: [box.left + n.renderedPosition('x'), box.top + n.renderedPosition('y')],
              classes: n.classes(), dim: n.hasClass('dim')};
    }),
    groups: cy.nodes('.group').not('.hidden').map(function (g) {
      return {id: g.id(), box: rect(g.renderedBoundingBox({includeLabels: true}))};
    }),
    edges: cy.edges().not('.hidden').map(function (e) {
      return {source: e.source().id(), target: e.target().id(), classes: e.classes(), dim: e.hasClass('dim')};
    }),
    pageWidth: document.documentElement.scrollWidth, viewWidth: window.innerWidth,
    pageHeight: document.documentElement.scrollHeight, viewHeight: window.innerHeight
  });
})()"""


def _write(args: list[str], target: Path) -> Path:
    result = CliRunner().invoke(app, [*args, "--out", str(target)])
    assert result.exit_code == 0, result.output
    return target


def _model(store: Path) -> dict:
    result = CliRunner().invoke(app, ["topology", "--store", str(store), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _layout(browser: Chromium) -> dict:
    return json.loads(browser.evaluate(LAYOUT))


def _overlaps(nodes: list[dict]) -> list[tuple[str, str]]:
    found = []
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = a["box"], b["box"]
            if ax1 < bx2 and bx1 < ax2 and ay1 < by2 and by1 < ay2:
                found.append((a["id"], b["id"]))
    return found


def _assert_readable(layout: dict) -> None:
    assert _overlaps(layout["nodes"]) == []
    assert layout["zoom"] * LABEL_FONT >= LEGIBLE_PX, layout["zoom"]
    for group in layout["groups"]:
        x1, y1, x2, y2 = group["box"]
        assert 0 <= x1 and x2 <= layout["width"] and 0 <= y1 and y2 <= layout["height"], group
    # Machines side by side: no two groups share a column.
    spans = sorted((g["box"][0], g["box"][2]) for g in layout["groups"])
    assert all(left[1] <= right[0] for left, right in zip(spans, spans[1:]))
    # The page itself does not scroll: the view fills the window.
    assert layout["pageWidth"] <= layout["viewWidth"] and layout["pageHeight"] <= layout["viewHeight"]


def _select(browser: Chromium, element: str, value: str) -> None:
    browser.evaluate(f"var s = document.getElementById('{element}'); s.value = '{value}'; "
                     "s.dispatchEvent(new Event('change'))")


def _toggle(browser: Chromium, menu: str, label: str) -> None:
    """Click the checkbox labelled `label` in a filter menu, as a person would after opening it."""
    browser.evaluate(f"document.getElementById('{menu}').parentElement.open = true; "
                     f"Array.from(document.querySelectorAll('#{menu} label')).find(function (l) "
                     f"{{ return l.textContent.trim() === '{label}'; }}).querySelector('input').click()")


def _search(browser: Chromium, text: str) -> int:
    browser.evaluate("var s = document.getElementById('topo-search'); s.value = ''; s.focus()")
    browser.type(text)
    return int(browser.wait_for("document.body.dataset.matches"))


def _click_node(browser: Chromium, node_id: str) -> dict:
    node = next(n for n in _layout(browser)["nodes"] if n["id"] == node_id)
    browser.click(*node["at"])
    browser.wait_for(f"document.body.dataset.focus === {json.dumps(node_id)}")
    return _layout(browser)


def _check_clean(browser: Chromium, page: Path) -> None:
    assert "<script src=" not in page.read_text(encoding="utf-8")
    assert browser.errors() == [] and browser.evaluate("document.body.dataset.errors") == ""
    assert browser.requests() == [page.resolve().as_uri()]  # nothing fetched but the file itself


def test_topology_on_the_fixture(scanned_fixture, tmp_path):
    store = scanned_fixture[0]
    page = _write(["topology", "--store", str(store)], tmp_path / "topology.html")
    model = _model(store)  # live agents, as the page shows them by default
    with Chromium(WIDTH, HEIGHT) as browser:
        browser.open(page)
        layout = _layout(browser)
        _assert_readable(layout)
        assert {n["id"] for n in layout["nodes"]} == {n["id"] for n in model["nodes"]} | {
            f"port:{p}" for p in model["unbound_ports"]}
        browser.screenshot(ARTIFACTS / "topology-fixture.png")
        # Search by port: the agents binding or connecting 5556 and nothing else stay lit.
        expected = {n["id"] for n in model["nodes"] if any(p["port"] == 5556 for p in n["binds"] + n["connects"])}
        assert _search(browser, "5556") == len(expected) == 4
        assert {n["id"] for n in _layout(browser)["nodes"] if not n["dim"]} == expected
        browser.press("Escape", 27)
        # Click an agent: its peers (who connects to its binds, whom it connects to) and its rival binder light up.
        monitor = "main_pc_code/agents/health_monitor.py"
        focused = _click_node(browser, monitor)
        lit = {n["id"] for n in focused["nodes"] if not n["dim"]}
        assert lit == {monitor, "main_pc_code/agents/stt_agent.py", "pc2_code/agents/emotion_agent.py",
                       "main_pc_code/agents/audio_capture_agent.py", "pc2_code/agents/mood_tracker_agent.py"}
        assert browser.evaluate("document.getElementById('details').hidden") is False
        panel = browser.evaluate("document.getElementById('details').textContent")
        # The collision is on the panel of every binder; its port-collisions finding sits at the port's first bind.
        assert "5556" in panel and "also bound by" in panel
        browser.screenshot(ARTIFACTS / "topology-fixture-focus.png")
        # The port view: port 5556 between its two binders, a collision.
        browser.evaluate("document.getElementById('view-ports').click()")
        browser.wait_for("document.body.dataset.view === 'ports'")
        ports = _layout(browser)
        binders = {e["target"] for e in ports["edges"] if e["source"] == "pv:5556" and "bind" in e["classes"]}
        assert binders == {monitor, "main_pc_code/agents/audio_capture_agent.py"}
        assert "contested" in next(n for n in ports["nodes"] if n["id"] == "pv:5556")["classes"]
        assert _overlaps(ports["nodes"]) == []
        # Copies: behind their switch, then drawn.
        browser.evaluate("document.getElementById('view-agents').click()")
        browser.evaluate("document.getElementById('topo-copies-box').click()")
        with_copies = _layout(browser)
        assert "main_pc_code/agents/translator_agent_backup.py" in {n["id"] for n in with_copies["nodes"]}
        _assert_readable(with_copies)
        _check_clean(browser, page)


def test_topology_of_150_agents_is_readable(scanned_system, tmp_path):
    store, plan = scanned_system
    page = _write(["topology", "--store", str(store)], tmp_path / "topology.html")
    model = _model(store)
    figures: dict = {"agents": len(plan.agents), "copies": len(plan.copies)}
    with Chromium(WIDTH, HEIGHT) as browser:
        figures["seconds_to_ready"] = round(browser.open(page), 2)
        figures["render_ms"] = int(browser.evaluate("document.body.dataset.renderMs"))
        layout = _layout(browser)
        figures.update(nodes=len(layout["nodes"]), edges=len(layout["edges"]), zoom=round(layout["zoom"], 3),
                       label_px=round(layout["zoom"] * LABEL_FONT, 1), overlaps=len(_overlaps(layout["nodes"])),
                       groups=[g["id"] for g in layout["groups"]])
        (ARTIFACTS / "topology-150.json").parent.mkdir(exist_ok=True)
        (ARTIFACTS / "topology-150.json").write_text(json.dumps(figures, indent=2) + "\n")
        browser.screenshot(ARTIFACTS / "topology-150.png")
        _assert_readable(layout)
        live = {n["id"] for n in model["nodes"]}
        assert {n["id"] for n in layout["nodes"] if not n["id"].startswith("port:")} == live
        assert len(live) == len(plan.agents) - len(plan.broken)  # every live agent that parses, no copy
        assert {g["id"] for g in layout["groups"]} >= {"machine:main_pc_code", "machine:pc2_code"}
        # Search by name finds the agents whose file or module name holds it.
        word = plan.agents[10].name.split("_")[0]
        assert _search(browser, word) == sum(word in node_id for node_id in live) > 0
        browser.press("Enter", 13)
        assert browser.evaluate("document.body.dataset.focus") != ""
        browser.press("Escape", 27)
        # Click a colliding agent: its rival binder on the same port lights up with its peers.
        machine, port, binders = plan.collisions[0]
        focused = _click_node(browser, binders[0])
        lit = {n["id"] for n in focused["nodes"] if not n["dim"]}
        assert binders[1] in lit and len(lit) < len(live) / 4
        browser.screenshot(ARTIFACTS / "topology-150-focus.png")
        browser.click(5, HEIGHT - 5)  # the background clears the focus
        browser.wait_for("document.body.dataset.focus === ''")
        # Filters: each planted problem, exactly.
        _select(browser, "topo-problem", "collision")
        assert {n["id"] for n in _layout(browser)["nodes"] if not n["id"].startswith("port:")} >= {
            path for _, _, paths in plan.collisions for path in paths}
        _select(browser, "topo-problem", "orphan")
        shown = _layout(browser)
        assert {n["id"] for n in shown["nodes"] if n["id"].startswith("port:")} == {
            f"port:{p}" for p in plan.orphan_ports}
        _select(browser, "topo-problem", "mismatch")
        assert {e["source"] for e in _layout(browser)["edges"]} == {path for path, _ in plan.mismatches}
        _select(browser, "topo-problem", "")
        # Machine and socket kind filters: one machine alone is laid out again, larger; without REQ and REP no
        # request-reply link is left.
        _toggle(browser, "topo-machines", "pc2_code")
        alone = _layout(browser)
        assert {g["id"] for g in alone["groups"] if g["id"].startswith("machine:")} == {"machine:main_pc_code"}
        assert alone["zoom"] > layout["zoom"] and not any(n["id"].startswith("pc2_code/") for n in alone["nodes"])
        _assert_readable(alone)
        _toggle(browser, "topo-machines", "pc2_code")
        _toggle(browser, "topo-kinds", "REQ")
        _toggle(browser, "topo-kinds", "REP")
        kinds = _layout(browser)
        assert kinds["edges"] and not any("req-rep" in e["classes"] for e in kinds["edges"])
        _toggle(browser, "topo-kinds", "REQ")
        _toggle(browser, "topo-kinds", "REP")
        assert len(_layout(browser)["edges"]) == len(layout["edges"])
        # The port view: each planted collision is one port node with its two live binders.
        browser.evaluate("document.getElementById('view-ports').click()")
        browser.wait_for("document.body.dataset.view === 'ports'")
        ports = _layout(browser)
        for _, port, paths in plan.collisions:
            bound = {e["target"] for e in ports["edges"] if e["source"] == f"pv:{port}" and "bind" in e["classes"]}
            assert bound == set(paths)
        assert _overlaps(ports["nodes"]) == []
        browser.screenshot(ARTIFACTS / "topology-150-ports.png")
        _check_clean(browser, page)


def test_report_fits_1280_pixels_on_the_fixture_and_150_agents(scanned_fixture, scanned_system, tmp_path):
    for name, store in (("fixture", scanned_fixture[0]), ("150", scanned_system[0])):
        page = _write(["report", "--store", str(store), "--format", "html"], tmp_path / f"report-{name}.html")
        with Chromium(WIDTH, HEIGHT) as browser:
            browser.open(page)
            layout = _layout(browser)
            assert layout["pageWidth"] <= layout["viewWidth"], name  # no sideways scrolling
            assert layout["nodes"] and _overlaps(layout["nodes"]) == []
            text = browser.evaluate("document.body.innerText")
            assert "What to fix first" in text and "(port-collisions, " in text
            browser.screenshot(ARTIFACTS / f"report-{name}.png")
            _check_clean(browser, page)
        if name == "150":  # long tables say how much they show and how to list the rest
            assert re.search(r"25 of \d+ rows; analyzer query [\w-]+ --store", text), text[:2000]
