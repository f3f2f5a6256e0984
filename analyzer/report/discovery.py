"""The consolidated discovery report: headline figures, findings by severity / machine / category, hotspots,
the sections people ask for first, and a prioritised fix list.

Every finding figure is a count of `collect_findings` rows, i.e. of what
`analyzer query <id>` returns for the same store with default parameters.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import queries
from analyzer.findings import SEVERITY_RANK, Finding, collect_findings, run_query
from analyzer.report.html import bar_chart, cytoscape_source, page, topology_fragment
from analyzer.report.reads import MODULES, read, repository_info
from analyzer.report.topology import Topology, build_topology
from analyzer.store import GraphStore

# Sections shown as the query's own rows: (heading, query id).
SECTIONS = (("Import cycles", "import-cycles"), ("Port collisions", "port-collisions"),
            ("GPU agents", "gpu-agents"), ("Requirements drift", "requirements-drift"))
SEVERITY_WEIGHT = {"info": 1, "low": 2, "medium": 4, "high": 8, "critical": 16}
TOP_HOTSPOTS = 5
TOP_PRIORITIES = 10
SECTION_ROWS = 25


def category_of(query_id: str) -> str:
    return queries.get(query_id).category


@dataclass
class Priority:
    check: str
    title: str
    severity: str
    count: int
    fan_in: int  # the most modules importing any module the findings touch
    score: int
    fix_command: str


@dataclass
class DiscoveryReport:
    repository: dict[str, Any]
    headline: dict[str, Any]
    findings_by_check: dict[str, int]
    by_severity: dict[str, int]
    by_severity_machine: dict[str, dict[str, int]]
    by_category: dict[str, int]
    by_category_machine: dict[str, dict[str, int]]
    hotspots: dict[str, list[tuple[str, int]]]
    sections: dict[str, tuple[list[str], list[dict[str, Any]]] | None]  # heading -> (columns, rows); None: no query
    gpu_modules: list[dict[str, Any]]
    priorities: list[Priority]
    topology: Topology | None = field(default=None, repr=False)


def build_report(store: GraphStore, repository: str | None = None) -> DiscoveryReport:
    info = repository_info(store, repository)
    findings = collect_findings(store, repository)
    modules = read(store, MODULES, repository)
    machine_of = {m["path"]: m["machine"] or "(shared)" for m in modules}
    fan_in = {m["path"]: m["imports_in"] or 0 for m in modules}
    library = {query.id: query for query in queries.load_all()}
    by_check = Counter(f.check for f in findings)
    non_test = [m for m in modules if not m["is_test"]]
    headline = {
        "files": info.get("files"), "lines": info.get("lines"), "parse errors": info.get("parse_errors"),
        "modules": len(non_test), "agents": sum(bool(m["is_agent"]) for m in non_test),
        "machines": len({m["machine"] for m in non_test if m["machine"]}),
        "findings": len(findings), "checks with findings": len(by_check),
    }
    return DiscoveryReport(
        repository=info, headline=headline,
        findings_by_check={check: by_check[check] for check in sorted(by_check)},
        by_severity=_ordered_severities(Counter(f.severity for f in findings)),
        by_severity_machine=_cross(findings, lambda f: f.severity, lambda f: _machine(f, machine_of)),
        by_category=dict(sorted(Counter(category_of(f.check) for f in findings).items())),
        by_category_machine=_cross(findings, lambda f: category_of(f.check), lambda f: _machine(f, machine_of)),
        hotspots=_hotspots(findings),
        sections={heading: _section(store, library.get(query_id), repository) for heading, query_id in SECTIONS},
        gpu_modules=[m for m in non_test if m["cuda_calls"]],
        priorities=_priorities(findings, fan_in),
        topology=build_topology(store, repository, findings),
    )


def _machine(finding: Finding, machine_of: dict[str, str]) -> str:
    return finding.row.get("machine") or machine_of.get(finding.path or "", "") or "(none)"


def _ordered_severities(counts: Counter) -> dict[str, int]:
    return {s: counts[s] for s in sorted(counts, key=lambda s: -SEVERITY_RANK.get(s, 0))}


def _cross(findings: list[Finding], row_key, column_key) -> dict[str, dict[str, int]]:
    table: dict[str, Counter] = defaultdict(Counter)
    for finding in findings:
        table[row_key(finding)][column_key(finding)] += 1
    return {row: dict(sorted(columns.items())) for row, columns in sorted(table.items())}


def _hotspots(findings: list[Finding]) -> dict[str, list[tuple[str, int]]]:
    """Category -> the files with the most findings of it."""
    by_category: dict[str, Counter] = defaultdict(Counter)
    for finding in findings:
        if finding.path:
            by_category[category_of(finding.check)][finding.path] += 1
    return {category: sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_HOTSPOTS]
            for category, counts in sorted(by_category.items())}


def _section(store: GraphStore, query, repository: str | None) -> tuple[list[str], list[dict[str, Any]]] | None:
    if query is None:
        return None
    return list(query.columns), run_query(store, query, None, repository)


def _priorities(findings: list[Finding], fan_in: dict[str, int]) -> list[Priority]:
    """Checks ranked by severity weight x finding count x (1 + fan-in of the most imported module involved)."""
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_check[finding.check].append(finding)
    ranked = []
    for check, group in by_check.items():
        most_imported = max((fan_in.get(f.path or "", 0) for f in group), default=0)
        severity = group[0].severity
        codemod = queries.get(check).fixed_by
        ranked.append(Priority(check, group[0].title, severity, len(group), most_imported,
                               SEVERITY_WEIGHT.get(severity, 1) * len(group) * (1 + most_imported),
                               f"analyzer fix {codemod} ." if codemod else ""))
    return sorted(ranked, key=lambda p: (-p.score, p.check))[:TOP_PRIORITIES]


# --- rendering ------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    text = "" if value is None else ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(columns: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["(none)", ""]
    return ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns),
            *("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows), ""]


def _blocks(report: DiscoveryReport) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The report's tables in order, as (heading, columns, rows): both renderings are made from these."""
    machines = sorted({m for columns in report.by_severity_machine.values() for m in columns})
    blocks = [
        ("Headline figures", ["figure", "value"], [[k, v] for k, v in report.headline.items()]),
        ("Findings by severity and machine", ["severity", "total", *machines],
         [[s, report.by_severity[s], *(report.by_severity_machine.get(s, {}).get(m, 0) for m in machines)]
          for s in report.by_severity]),
        ("Findings by category and machine", ["category", "total", *machines],
         [[c, report.by_category[c], *(report.by_category_machine.get(c, {}).get(m, 0) for m in machines)]
          for c in report.by_category]),
        ("Findings per check", ["check", "category", "findings"],
         [[check, category_of(check), count] for check, count in report.findings_by_check.items()]),
        ("What to fix first", ["rank", "check", "severity", "findings", "fan-in", "score", "fix"],
         [[i, p.check, p.severity, p.count, p.fan_in, p.score, p.fix_command or "(no codemod)"]
          for i, p in enumerate(report.priorities, 1)]),
    ]
    blocks += [(f"Hotspots: {category}", ["path", "findings"], [list(item) for item in spots])
               for category, spots in report.hotspots.items()]
    for heading, section in report.sections.items():
        if section is None:
            blocks.append((heading, ["note"], [["the query library has no query for this section yet"]]))
        else:
            columns, rows = section
            blocks.append((f"{heading} ({len(rows)})", columns, [[r[c] for c in columns] for r in rows[:SECTION_ROWS]]))
    blocks.append(("Modules using CUDA", ["path", "machine", "cuda_calls", "releases cache"],
                   [[m["path"], m["machine"], m["cuda_calls"], "yes" if m["cuda_releases"] else "no"]
                    for m in report.gpu_modules]))
    return blocks


def to_markdown(report: DiscoveryReport) -> str:
    name = report.repository.get("repository", "repository")
    lines = [f"# Discovery report: {name}", "",
             f"Snapshot `{report.repository.get('snapshot', '')}` of {report.repository.get('created_at', '')}. "
             "Every finding figure counts the rows `analyzer query <id>` returns on this snapshot.", ""]
    for heading, columns, rows in _blocks(report):
        lines += [f"## {heading}", "", *_md_table(columns, rows)]
    return "\n".join(lines).rstrip() + "\n"


def to_html(report: DiscoveryReport) -> str:
    name = report.repository.get("repository", "repository")
    parts = [f"<h1>Discovery report: {html.escape(str(name))}</h1>",
             f"<p>Snapshot <code>{html.escape(str(report.repository.get('snapshot', '')))}</code>. Every finding "
             f"figure counts the rows <code>analyzer query &lt;id&gt;</code> returns on this snapshot.</p>",
             bar_chart("Findings per category", list(report.by_category.items())),
             bar_chart("Findings per machine", _per_machine(report), colour="#59a14f")]
    scripts = []
    if report.topology is not None:
        body, script = topology_fragment(report.topology)
        parts += ["<h2>ZeroMQ topology</h2>", body]
        scripts = [cytoscape_source(), script]
    for heading, columns, rows in _blocks(report):
        parts.append(f"<h2>{html.escape(heading)}</h2>" + _html_table(columns, rows))
    return page(f"Discovery report: {name}", "".join(parts), scripts)


def _per_machine(report: DiscoveryReport) -> list[tuple[str, int]]:
    totals: Counter = Counter()
    for columns in report.by_category_machine.values():
        totals.update(columns)
    return sorted(totals.items())


def _html_table(columns: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"
