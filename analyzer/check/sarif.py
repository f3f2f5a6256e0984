"""SARIF 2.1.0: rule metadata per check, `partialFingerprints` from the baseline fingerprint, and
`fixes` where a codemod that works one file at a time rewrites the flagged line."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from analyzer import queries
from analyzer import __version__
from analyzer.check.reported import Reported
from analyzer.check.run import CheckResult
from analyzer.check.sources import SourceLines
from agent_graph_codemods import get_codemod
from agent_graph_codemods.base import CodemodError, NotParsable, apply_to_source
from analyzer.queries import Query

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
FINGERPRINT_KEY = "analyzerFingerprint/v1"


def _help_markdown(query: Query, docs_url: str | None) -> str:
    fix = query.fix
    if query.fixed_by:
        command = f"`analyzer fix {query.fixed_by}`"
        link = f"[{command}]({_codemod_url(docs_url, query.fixed_by)})" if docs_url else command
        fix += f" {link} rewrites it."
    return f"**What it finds.** {query.what}\n\n**Why it matters.** {query.why}\n\n**How to fix.** {fix}"


def _codemod_url(docs_url: str, codemod_name: str) -> str:
    from agent_graph_codemods.docs import anchor

    return f"{docs_url.rstrip('/')}/codemods.md#{anchor(get_codemod(codemod_name))}"


def _rule(query: Query, docs_url: str | None) -> dict:
    properties: dict = {"severity": query.severity, "precision": query.precision, "category": query.category,
                        "tags": list(query.tags), "parameters": {k: str(v) for k, v in query.params.items()}}
    if query.security_severity:
        properties["security-severity"] = query.security_severity
    if query.fixed_by:
        properties["fixedBy"] = {"codemod": query.fixed_by, "command": f"analyzer fix {query.fixed_by} --apply"}
    rule = {
        "id": query.id,
        "name": query.id,
        "shortDescription": {"text": query.title},
        "fullDescription": {"text": query.what},
        "help": {"text": f"{query.what} {query.why} {query.fix}", "markdown": _help_markdown(query, docs_url)},
        "defaultConfiguration": {"level": SARIF_LEVEL[query.severity]},
        "properties": properties,
    }
    if docs_url:
        rule["helpUri"] = f"{docs_url.rstrip('/')}/queries.md#{query.id}"
    return rule


def documentation_url() -> str | None:
    """Where the rule docs are published: the distribution's `Documentation` project URL, if it declares one."""
    from importlib import metadata

    try:
        urls = metadata.metadata("agent-graph-analyzer").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    return next((url.strip() for label, _, url in (u.partition(",") for u in urls)
                 if label.strip().lower() == "documentation"), None)


class Fixer:
    """Runs a check's codemod on a flagged file once and turns the hunk at the flagged line into a SARIF fix."""

    def __init__(self, sources: SourceLines) -> None:
        self.sources = sources
        self._rewritten: dict[tuple[str, str], list[str] | None] = {}

    def fix(self, item: Reported) -> dict | None:
        codemod_name = queries.get(item.finding.check).fixed_by
        path, line = item.finding.path, item.finding.line  # the fix is at the finding's own line
        if not codemod_name or not path or not line:
            return None
        after = self._rewrite(codemod_name, path)
        before = self.sources.lines(path)
        if after is None:
            return None
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
            if tag == "replace" and i1 < line <= i2:
                return {
                    "description": {"text": get_codemod(codemod_name).summary},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                        "replacements": [{
                            "deletedRegion": {"startLine": i1 + 1, "endLine": i2},
                            "insertedContent": {"text": "\n".join(after[j1:j2])},
                        }],
                    }],
                }
        return None

    def _rewrite(self, codemod_name: str, path: str) -> list[str] | None:
        key = (codemod_name, path)
        if key not in self._rewritten:
            codemod = get_codemod(codemod_name)
            source = "\n".join(self.sources.lines(path)) + "\n"
            try:
                result = None if codemod.uses_plan else apply_to_source(codemod(), source, path)
            except (NotParsable, CodemodError):  # no fix offered for a file the codemod cannot rewrite
                result = None
            self._rewritten[key] = result.code.splitlines() if result and result.edits else None
        return self._rewritten[key]


def _location(path: str, line: int | None) -> dict:
    location: dict = {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}}
    if line:
        location["region"] = {"startLine": line}
    return {"physicalLocation": location}


def _result(item: Reported, rule_index: int, fixer: Fixer) -> dict:
    finding = item.finding
    result: dict = {
        "ruleId": finding.check,
        "ruleIndex": rule_index,
        "level": SARIF_LEVEL[finding.severity],
        "message": {"text": item.message},
        "partialFingerprints": {FINGERPRINT_KEY: item.fingerprint},
        "properties": {"severity": finding.severity, "attributed": item.attributed},
    }
    if item.path:
        result["locations"] = [_location(item.path, item.line)]
    if item.attributed and finding.path:
        # Shown on the changed line that caused it; where the query found it is a related location.
        result["relatedLocations"] = [{"id": 0, **_location(finding.path, finding.line),
                                       "message": {"text": "where the finding is"}}]
    fix = fixer.fix(item)
    if fix is not None:
        result["fixes"] = [fix]
    return result


def render_sarif(result: CheckResult, repo: Path) -> str:
    docs_url = documentation_url()
    rules = [_rule(query, docs_url) for query in result.checks]
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    fixer = Fixer(SourceLines(repo))
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "analyzer", "version": __version__, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": repo.resolve().as_uri() + "/"}},
            "results": [_result(item, index[item.finding.check], fixer) for item in result.findings],
        }],
    }
    return json.dumps(document, indent=2, default=str) + "\n"
