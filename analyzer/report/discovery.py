"""The consolidated discovery report: what to fix first and its findings, the counts, hotspots and GPU agents.

Every finding figure is a count of `collect_findings` rows, i.e. of what
`analyzer query <id>` returns for the same store with default parameters.

"What to fix first" ranks checks by risk to running agents, from their rule headers
only (queries/__init__.py): severity first, then the report order of the rule's
category (`queries.CATEGORIES`: ZeroMQ and configs before structure, exceptions,
security, ... and debt last), then precision (a surer finding first); findings a
copy (`Module.is_copy`) is part of do not count (a live agent's port "collision" with
an archived copy of itself), and among equals the check touching the most imported
module comes first. Finding counts never outrank severity, so thousands of
low-severity rows (broad excepts, TODOs) come after a handful of port collisions.

Every table cut to `rows` says how many rows it shows of how many, and the command that lists them all.
"""

from __future__ import annotations

import html
import shlex
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from analyzer import queries
from analyzer.findings import SEVERITY_RANK, Finding, collect_findings, run_query
from analyzer.report.html import bar_chart, cytoscape_source, page, topology_fragment
from analyzer.report.reads import MODULES, read, repository_info
from analyzer.report.topology import Topology, build_topology
from analyzer.store import GraphStore

PRECISION_RANK = {precision: rank for rank, precision in enumerate(queries.PRECISIONS)}
CATEGORY_ORDER = {category: rank for rank, category in enumerate(queries.CATEGORIES)}
# Report queries shown as sections of their own: (heading, query id).
SECTIONS = (("GPU agents", "gpu-agents"),)
TOP_HOTSPOTS = 5
TOP_PRIORITIES = 10  # checks of "What to fix first" that get a section listing their findings
ROWS = 25  # rows a table shows before it says how many more there are


def category_of(query_id: str) -> str:
    return queries.get(query_id).category


def risk_key(query: queries.Query) -> tuple[int, int, int]:
    """How a rule ranks in "What to fix first": severity, then category order, then precision (lower first)."""
    return (-SEVERITY_RANK[query.severity], CATEGORY_ORDER[query.category], -PRECISION_RANK[query.precision])


@dataclass
class Priority:
    check: str
    title: str
    severity: str
    category: str
    precision: str
    count: int  # findings that no copy is part of
    in_copies: int  # findings a copy is part of: no risk to running agents, so not ranked on
    fan_in: int  # the most modules importing any module the live findings touch
    fix_command: str  # `analyzer fix <codemod> .` when the rule names a codemod that fixes it, else ""


@dataclass
class Table:
    """One table of the report: `total` rows exist, `rows` of them are here; `command` lists them all."""

    heading: str
    columns: list[str]
    rows: list[list[Any]]
    total: int | None = None  # None: the rows are all there is
    command: str = ""
    note: str = ""
    unit: str = "rows"

    def cut(self, limit: int) -> Table:
        total = len(self.rows) if self.total is None else self.total
        shown = self.rows[:limit]
        return replace(self, rows=shown, total=total if total > len(shown) else None)

    def more(self) -> str:
        """'25 of 458 rows; `command` lists them all.', or '' when nothing is cut."""
        if self.total is None or self.total <= len(self.rows):
            return ""
        lister = f"; `{self.command}` lists them all" if self.command else ""
        return f"{len(self.rows)} of {self.total} {self.unit}{lister}."


@dataclass
class DiscoveryReport:
    repository: dict[str, Any]
    headline: dict[str, Any]
    findings_by_check: dict[str, int]
    by_severity: dict[str, int]
    by_severity_machine: dict[str, dict[str, int]]
    by_category: dict[str, int]
    by_category_machine: dict[str, dict[str, int]]
    hotspots: dict[str, list[tuple[str, int]]]  # category -> every file with findings of it, most first
    sections: dict[str, tuple[list[str], list[dict[str, Any]]] | None]  # heading -> (columns, rows); None: no query
    ranked: list[Priority]  # every check with findings, riskiest first
    findings: dict[str, list[Finding]] = field(repr=False)  # check -> its findings, live ones first
    options: str = ""  # `--store ... --repo ...` for the commands the report prints
    topology: Topology | None = field(default=None, repr=False)

    @property
    def priorities(self) -> list[Priority]:
        return self.ranked[:TOP_PRIORITIES]

    def command(self, *words: str) -> str:
        return " ".join(["analyzer", *map(shlex.quote, words)]) + self.options

    def check_command(self, checks: list[str]) -> str:
        root = str(self.repository.get("root") or ".")
        return self.command("check", root, "--no-scan", "--select", ",".join(checks))


def build_report(store: GraphStore, repository: str | None = None, options: str = "") -> DiscoveryReport:
    """`options` (e.g. ` --store x --repo y`) is appended to the commands the report suggests."""
    info = repository_info(store, repository)
    findings = collect_findings(store, repository)
    modules = read(store, MODULES, repository)
    machine_of = {m["path"]: m["machine"] or "(shared)" for m in modules}
    fan_in = {m["path"]: m["imports_in"] or 0 for m in modules}
    copies = {m["path"] for m in modules if m["is_copy"]}
    library = {query.id: query for query in queries.load_all()}
    by_check = Counter(f.check for f in findings)
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.check].append(finding)
    for group in grouped.values():
        group.sort(key=lambda f: touches_copies(f, copies))  # stable: the query's order within live and copies
    return DiscoveryReport(
        repository=info, headline=_headline(info, modules, findings),
        findings_by_check={check: by_check[check] for check in sorted(by_check)},
        by_severity=_ordered_severities(Counter(f.severity for f in findings)),
        by_severity_machine=_cross(findings, lambda f: f.severity, lambda f: _machine(f, machine_of)),
        by_category=_in_report_order(Counter(category_of(f.check) for f in findings)),
        by_category_machine=_cross(findings, lambda f: category_of(f.check), lambda f: _machine(f, machine_of)),
        hotspots=_hotspots(findings),
        sections={heading: _section(store, library.get(query_id), repository) for heading, query_id in SECTIONS},
        ranked=_ranked(grouped, fan_in, copies), findings=dict(grouped), options=options,
        topology=build_topology(store, repository, findings),
    )


def _headline(info: dict[str, Any], modules: list[dict[str, Any]], findings: list[Finding]) -> dict[str, Any]:
    non_test = [m for m in modules if not m["is_test"]]
    live = [m for m in non_test if not m["is_copy"]]
    return {
        "files": info.get("files"), "lines": info.get("lines"), "parse errors": info.get("parse_errors"),
        "modules": len(non_test), "copies (archived, backup)": len(non_test) - len(live),
        "live agents": sum(bool(m["is_agent"]) for m in live),
        "machines": len({m["machine"] for m in non_test if m["machine"]}),
        "findings": len(findings), "checks with findings": len({f.check for f in findings}),
    }


def touches_copies(finding: Finding, copies: set[str]) -> bool:
    """Whether a copy is part of the finding: at its location, or named in its row (the other binder of a port)."""
    values = [finding.path, *finding.row.values()]
    return any(value in copies if isinstance(value, str) else
               isinstance(value, list) and any(isinstance(v, str) and v in copies for v in value) for value in values)


def _machine(finding: Finding, machine_of: dict[str, str]) -> str:
    return finding.row.get("machine") or machine_of.get(finding.path or "", "") or "(none)"


def _ordered_severities(counts: Counter) -> dict[str, int]:
    return {s: counts[s] for s in sorted(counts, key=lambda s: -SEVERITY_RANK.get(s, 0))}


def _in_report_order(counts: Counter) -> dict[str, int]:
    return {c: counts[c] for c in sorted(counts, key=lambda c: CATEGORY_ORDER.get(c, len(CATEGORY_ORDER)))}


def _cross(findings: list[Finding], row_key, column_key) -> dict[str, dict[str, int]]:
    table: dict[str, Counter] = defaultdict(Counter)
    for finding in findings:
        table[row_key(finding)][column_key(finding)] += 1
    return {row: dict(sorted(columns.items())) for row, columns in sorted(table.items())}


def _hotspots(findings: list[Finding]) -> dict[str, list[tuple[str, int]]]:
    """Category (report order) -> the files with findings of it, most first."""
    by_category: dict[str, Counter] = defaultdict(Counter)
    for finding in findings:
        if finding.path:
            by_category[category_of(finding.check)][finding.path] += 1
    return {category: sorted(by_category[category].items(), key=lambda item: (-item[1], item[0]))
            for category in _in_report_order(Counter({c: 1 for c in by_category}))}


def _section(store: GraphStore, query, repository: str | None) -> tuple[list[str], list[dict[str, Any]]] | None:
    if query is None:
        return None
    return list(query.columns), run_query(store, query, None, repository)


def _ranked(grouped: dict[str, list[Finding]], fan_in: dict[str, int], copies: set[str]) -> list[Priority]:
    """Every check with findings, riskiest first (module docstring); checks found only in copies last."""
    ranked = []
    for check, group in grouped.items():
        query = queries.get(check)
        live = [f for f in group if not touches_copies(f, copies)]
        ranked.append(Priority(
            check, query.title, query.severity, query.category, query.precision, len(live), len(group) - len(live),
            max((fan_in.get(f.path or "", 0) for f in live), default=0),
            f"analyzer fix {query.fixed_by} ." if query.fixed_by else ""))
    return sorted(ranked, key=lambda p: (p.count == 0, risk_key(queries.get(p.check)), -p.fan_in, -p.count, p.check))


# --- rendering ------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    text = "" if value is None else ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _where(finding: Finding) -> str:
    if not finding.path:
        return ""
    return f"{finding.path}:{finding.line}" if finding.line else finding.path


def _priority_tables(report: DiscoveryReport) -> list[Table]:
    ranked = report.ranked
    rows = [[rank, p.check, p.severity, p.category, p.count, p.in_copies, p.fan_in, p.fix_command or "(no codemod)"]
            for rank, p in enumerate(ranked, 1)]
    tables = [Table("What to fix first", ["rank", "check", "severity", "category", "findings", "in copies", "fan-in",
                                          "fix"], rows, command=report.command("check", str(report.repository.get("root") or "."), "--no-scan"),
                    note="Every check with findings, ranked by risk to running agents: severity, then category "
                         "(ZeroMQ and configs first, debt last), then precision; findings a copy is part of are counted "
                         f"apart and not ranked on. The findings of the first {TOP_PRIORITIES} follow.", unit="checks")]
    for rank, priority in enumerate(report.priorities, 1):
        findings = report.findings[priority.check]
        tables.append(Table(f"{rank}. {priority.title} ({priority.check}, {len(findings)})", ["where", "finding"],
                            [[_where(f), f.message] for f in findings], command=report.command("query", priority.check)))
    return tables


def _tables(report: DiscoveryReport) -> list[Table]:
    """The report's tables in order, uncut: both renderings are made from these."""
    machines = sorted({m for columns in report.by_severity_machine.values() for m in columns})
    tables = [Table("Headline figures", ["figure", "value"], [[k, v] for k, v in report.headline.items()]),
              *_priority_tables(report)]
    tables += [
        Table("Findings by severity and machine", ["severity", "total", *machines],
              [[s, report.by_severity[s], *(report.by_severity_machine.get(s, {}).get(m, 0) for m in machines)]
               for s in report.by_severity]),
        Table("Findings by category and machine", ["category", "total", *machines],
              [[c, report.by_category[c], *(report.by_category_machine.get(c, {}).get(m, 0) for m in machines)]
               for c in report.by_category]),
        Table("Findings per check", ["check", "category", "severity", "findings"],
              [[check, category_of(check), queries.get(check).severity, count]
               for check, count in report.findings_by_check.items()]),
    ]
    for category, spots in report.hotspots.items():
        checks = sorted({check for check in report.findings if category_of(check) == category})
        tables.append(Table(f"Hotspots: {category}", ["path", "findings"], [list(item) for item in spots],
                            command=report.check_command(checks), unit="files"))
    for heading, section in report.sections.items():
        if section is None:
            tables.append(Table(heading, ["note"], [["the query library has no query for this section yet"]]))
        else:
            columns, rows = section
            query_id = dict(SECTIONS)[heading]
            tables.append(Table(f"{heading} ({len(rows)})", columns, [[r[c] for c in columns] for r in rows],
                                command=report.command("query", query_id)))
    return tables


def _shown(report: DiscoveryReport, rows: int) -> list[Table]:
    """Tables that have a command listing their rows are cut (hotspots to TOP_HOTSPOTS); the rest are short."""
    return [table.cut(min(rows, TOP_HOTSPOTS) if table.heading.startswith("Hotspots") else rows)
            if table.command else table for table in _tables(report)]


def _md_table(table: Table) -> list[str]:
    lines = [f"## {table.heading}", ""]
    if table.note:
        lines += [table.note, ""]
    if not table.rows:
        return [*lines, "(none)", ""]
    lines += ["| " + " | ".join(table.columns) + " |", "|" + " --- |" * len(table.columns),
              *("| " + " | ".join(_cell(v) for v in row) + " |" for row in table.rows), ""]
    return lines + ([f"_{table.more()}_", ""] if table.more() else [])


def to_markdown(report: DiscoveryReport, rows: int = ROWS) -> str:
    name = report.repository.get("repository", "repository")
    lines = [f"# Discovery report: {name}", "",
             f"Snapshot `{report.repository.get('snapshot', '')}` of {report.repository.get('created_at', '')}. "
             "Every finding figure counts the rows `analyzer query <id>` returns on this snapshot.", ""]
    for table in _shown(report, rows):
        lines += _md_table(table)
    return "\n".join(lines).rstrip() + "\n"


def to_html(report: DiscoveryReport, rows: int = ROWS) -> str:
    name = report.repository.get("repository", "repository")
    parts = [f"<h1>Discovery report: {html.escape(str(name))}</h1>",
             f"<p>Snapshot <code>{html.escape(str(report.repository.get('snapshot', '')))}</code>. Every finding "
             f"figure counts the rows <code>analyzer query &lt;id&gt;</code> returns on this snapshot.</p>"]
    scripts = []
    tables = _shown(report, rows)
    first_counts = next(i for i, t in enumerate(tables) if t.heading == "Findings by severity and machine")
    for table in tables[:first_counts]:
        parts.append(_html_table(table))
    if report.topology is not None:
        body, script = topology_fragment(report.topology)
        parts += ["<h2>ZeroMQ topology</h2>", body]
        scripts = [cytoscape_source(), script]
    parts += [bar_chart("Findings per category", list(report.by_category.items())),
              bar_chart("Findings per machine", _per_machine(report), colour="#59a14f")]
    parts += [_html_table(table) for table in tables[first_counts:]]
    return page(f"Discovery report: {name}", "".join(parts), scripts)


def _per_machine(report: DiscoveryReport) -> list[tuple[str, int]]:
    totals: Counter = Counter()
    for columns in report.by_category_machine.values():
        totals.update(columns)
    return sorted(totals.items())


def _html_table(table: Table) -> str:
    heading = f"<h2>{html.escape(table.heading)}</h2>" + (f"<p>{html.escape(table.note)}</p>" if table.note else "")
    if not table.rows:
        return heading + "<p>(none)</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in table.rows)
    more = table.more()
    if more:
        more = f'<p class="more">{_code_spans(html.escape(more))}</p>'
    return f"{heading}<table><tr>{head}</tr>{body}</table>{more}"


def _code_spans(text: str) -> str:
    """`a` -> <code>a</code> in already escaped text."""
    parts = text.split("`")
    return "".join(f"<code>{part}</code>" if index % 2 else part for index, part in enumerate(parts))
