"""Running a codemod over a tree: parallel, verified, atomic, idempotent.

Files are processed in chunks on a process pool. Each file is parsed (libcst and
compile()); a file that does not parse is skipped and listed. The rewritten text
is parsed and compiled again before it may replace the original, and the
replacement is atomic: a temporary file in the same folder, fsync, the original
mode bits, then os.replace. A run killed at any moment leaves every file either
as it was or fully rewritten.
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import difflib
import functools
import hashlib
import io
import os
import stat
import tempfile
import tokenize
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import libcst as cst

from analyzer.config import DEFAULT_MAX_FILE_SECONDS
from analyzer.facts import FileFacts
from analyzer.workers import Failure, cycle_collector_paused, run_bounded
from agent_graph_codemods.base import (
    Codemod,
    Edit,
    NotParsable,
    check_compiles,
    compiled_tree,
    parse_checked,
    parse_libcst,
)
from agent_graph_codemods.tree import TEMP_SUFFIX, Tree

CHANGED = "changed"
UNCHANGED = "unchanged"
UNPARSABLE = "unparsable"
FAILED = "failed"
INLINE_LIMIT = 8  # fewer files than this are not worth starting worker processes


class FileChangedError(OSError):
    """The file changed on disk while it was being fixed."""


@dataclass
class FileOutcome:
    path: str
    status: str
    old: bytes = b""
    new: bytes = b""
    edits: list[Edit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reason: str = ""
    collected: Any = None
    extra: bool = False  # a file the codemod writes besides the sources (config/ports.yaml)
    diff: str | None = None  # unified_diff of old and new, when the worker of a dry run worked it out


@dataclass
class Report:
    codemod: Codemod
    scanned: int
    written: bool
    changed: list[FileOutcome] = field(default_factory=list)
    unparsable: list[FileOutcome] = field(default_factory=list)
    failed: list[FileOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the plan's notes, then `left`
    left: list[str] = field(default_factory=list)  # sites the codemod found and left as they are, and why

    @property
    def sites(self) -> int:
        return sum(len(outcome.edits) for outcome in self.changed if not outcome.extra)

    @property
    def changed_paths(self) -> list[str]:
        return [outcome.path for outcome in self.changed]

    def diff(self) -> str:
        return "".join(unified_diff(o) if o.diff is None else o.diff for o in self.changed)


class Progress(Protocol):
    def start(self, description: str, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


class NoProgress:
    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass


# --------------------------------------------------------------------- writing


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Path, data: bytes, expected: bytes | None = None) -> None:
    """Replace `path` by `data` atomically, keeping its mode; `expected` guards against a concurrent edit."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = _new_file_mode()
        path.parent.mkdir(parents=True, exist_ok=True)
    if expected is not None and path.read_bytes() != expected:
        raise FileChangedError(f"{path} changed on disk while it was being fixed")
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:  # any failure, KeyboardInterrupt included: remove the temporary file, then re-raise
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; some file systems cannot fsync a folder, which is fine."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # not supported here (e.g. some network file systems): the rename is still atomic
    finally:
        os.close(descriptor)


# --------------------------------------------------------------------- one file


@dataclass
class _Job:
    root: str
    phase: str  # collect | rewrite
    write: bool  # write each rewritten file as soon as it is verified
    dry: bool  # nothing of the run is written: a rewritten file is verified with compile() alone
    # The cached facts of the bytes a scan's libcst parsed, by path: the forked workers inherit them with the job,
    # so that the items they are sent need not carry them.
    facts: Mapping[str, FileFacts] = field(default_factory=dict)


# (path, file plan, content to use instead of the file's: what an earlier codemod of the run made of it)
_Item = tuple[str, Any, bytes | None]


@cycle_collector_paused()  # the syntax trees of a file: cycle-free, a tenth of the CPU spent on the collector's passes
def _process(codemod: Codemod, job: _Job, item: _Item) -> FileOutcome:
    path, file_plan, override = item
    full = Path(job.root) / path
    try:
        data = override if override is not None else full.read_bytes()
    except OSError as error:
        return FileOutcome(path, FAILED, reason=f"cannot read: {error.strerror or error}")
    if not codemod.might_apply(data):
        return FileOutcome(path, UNCHANGED)
    facts = _facts_of(job, path, override, data)
    try:
        text, module, tree = _parsed(codemod, data, path, facts)
        if job.phase == "collect":
            return _collect(codemod, data, text, module, tree() if tree is not None else None, path, facts)
    except NotParsable as error:
        return FileOutcome(path, UNPARSABLE, reason=str(error))
    try:
        new, edits, notes = _rewrite(codemod, data, text, module, tree, path, file_plan, facts)
    except NotParsable as error:
        return FileOutcome(path, UNPARSABLE, reason=str(error))
    except Exception as error:  # analyzer: ignore[broad-except] - a codemod bug on one file must not stop the run: the file is listed as failed
        return FileOutcome(path, FAILED, reason=f"codemod error: {type(error).__name__}: {error}")
    if new == data:
        return FileOutcome(path, UNCHANGED, notes=notes)
    return _changed(job, FileOutcome(path, CHANGED, data, new, edits, notes), written_over=override is None)


def _facts_of(job: _Job, path: str, override: bytes | None, data: bytes) -> FileFacts | None:
    """The cached facts of the file's bytes, if any: none for a file an earlier codemod of the run rewrote, or one
    changed since they were looked up (facts vouch only for the bytes they were made of)."""
    facts = job.facts.get(path) if override is None else None
    return facts if facts is not None and hashlib.sha256(data).hexdigest() == facts.sha256 else None


def _changed(job: _Job, outcome: FileOutcome, written_over: bool) -> FileOutcome:
    """A changed file's outcome once its new text is verified (and written, when the job writes; `written_over`:
    the file on disk must still hold the old bytes), FAILED when it cannot be."""
    try:
        # A dry run shows the change; only what is written must also parse with libcst again.
        check_compiles(outcome.new, outcome.path) if job.dry else parse_checked(outcome.new, outcome.path)
    except NotParsable as error:
        return FileOutcome(outcome.path, FAILED, reason=f"the rewritten file does not parse, not written: {error}")
    if job.dry:  # what the run prints, worked out in the workers
        outcome.diff = unified_diff(outcome)
    if job.write:
        try:
            atomic_write(Path(job.root) / outcome.path, outcome.new, expected=outcome.old if written_over else None)
        except OSError as error:
            return FileOutcome(outcome.path, FAILED, reason=f"not written: {error}")
    return outcome


def _parsed(codemod: Codemod, data: bytes, path: str, facts: FileFacts | None
            ) -> tuple[str | None, cst.Module | None, Callable[[], ast.Module] | None]:
    """(None, libcst's tree, None) of the file, both parsers' check passed (NotParsable otherwise); or, for a
    file a scan parsed (`facts`) that the codemod may work on in parts, (its text, None, CPython's tree on first
    call, which raises NotParsable when compile() refuses the file)."""
    text = _plain_text(data) if facts is not None and codemod.rewrites_locally() else None
    if text is None:
        return None, parse_checked(data, path), None
    # libcst parsed these bytes in the scan (the facts cache is keyed by their hash): compile() is the rest
    return text, None, functools.cache(functools.partial(compiled_tree, data, path))


def _collect(codemod: Codemod, data: bytes, text: str | None, module: cst.Module | None, tree: ast.Module | None,
             path: str, facts: FileFacts | None) -> FileOutcome:
    """What the file adds to the plan: from parts of its text alone (`tree` and `text` given), else, or when they
    do not tell, from the whole module (parsed here when it was not)."""
    if tree is not None and text is not None and facts is not None:
        local = codemod.collect_locally(text, tree, path, facts)
        if local is not None:
            return FileOutcome(path, UNCHANGED, collected=local)
    try:
        module = module if module is not None else parse_libcst(data)
    except NotParsable as error:
        return FileOutcome(path, UNPARSABLE, reason=str(error))
    collected = codemod.collect(path, module) if facts is None else codemod.collect_with_facts(path, module, facts)
    return FileOutcome(path, UNCHANGED, collected=collected)


def _rewrite(codemod: Codemod, data: bytes, text: str | None, module: cst.Module | None,
             tree: Callable[[], ast.Module] | None, path: str, file_plan: Any, facts: FileFacts | None
             ) -> tuple[bytes, list[Edit], list[str]]:
    """The new bytes, edits and notes: from parts of the text alone (`tree` and `text` given), else, or when
    they cannot be cut out, from the whole module (parsed here when it was not, once compile() took it)."""
    if tree is not None and text is not None and facts is not None:
        local = codemod.rewrite_locally(text, tree, path, file_plan, facts)
        if local is not None:
            return local.code.encode("utf-8"), local.edits, local.notes
    if module is None and tree is not None:
        tree()  # the local rewrite may not have compiled the file
    module = module if module is not None else parse_libcst(data)
    if facts is None:
        result = codemod.rewrite(module, path, file_plan)
    else:
        result = codemod.rewrite_with_facts(module, path, file_plan, facts)
    return result.module.bytes, result.edits, result.notes


def _plain_text(data: bytes) -> str | None:
    """The text of a UTF-8 file with "\\n" line breaks only (what `Codemod.rewrite_locally` splices), else None."""
    if data.startswith(codecs.BOM_UTF8) or b"\r" in data or b"\x00" in data:
        return None
    try:
        if tokenize.detect_encoding(io.BytesIO(data).readline)[0] != "utf-8":
            return None  # a coding cookie
        return data.decode("utf-8")
    except (SyntaxError, UnicodeDecodeError):
        return None


def _failed(path: str, failure: Failure) -> FileOutcome:
    """A worker's failure on a file: one that killed the parser or outran the limit is skipped as unparsable."""
    status = FAILED if failure.kind == "Failed" else UNPARSABLE
    return FileOutcome(path, status, reason=f"{failure.kind}: {failure.message}")


def _map(codemod: Codemod, job: _Job, items: list[_Item], jobs: int, seconds: float,
         progress: Progress) -> list[FileOutcome]:
    """Every item's outcome, in item order; in up to `jobs` worker processes (analyzer/workers.py: forked, so
    they share the loaded parser; killed with the parent) that give each file `seconds`."""
    task = functools.partial(_process, codemod, job)
    if jobs <= 1 or len(items) < INLINE_LIMIT:
        outcomes = []
        for item in items:
            outcomes.append(task(item))
            progress.advance(1)
        return outcomes
    found: list[FileOutcome | None] = [None] * len(items)

    def done(index: int, outcome: FileOutcome | Failure) -> None:
        found[index] = _failed(items[index][0], outcome) if isinstance(outcome, Failure) else outcome
        progress.advance(1)

    run_bounded(task, items, jobs, seconds, done)
    return [outcome for outcome in found if outcome is not None]


# --------------------------------------------------------------------- one codemod over a tree


def run_codemod(codemod: Codemod, tree: Tree, *, write: bool = False, jobs: int = 1,
                overlay: dict[str, bytes] | None = None, progress: Progress | None = None, limit: int = 0,
                facts: Mapping[str, FileFacts] | None = None, seconds: float = DEFAULT_MAX_FILE_SECONDS) -> Report:
    """Run one codemod over the tree; with `write`, rewritten files replace the originals.
    `limit` > 0 changes only the first `limit` files (by path) that would change. `facts` (path -> the
    cached facts of its current bytes, see agent_graph_codemods.tree.cached_facts) spares parsing the files
    they show the codemod has nothing to do in, and in those it has something to do in, all but the statements
    that hold the sites (Codemod.local_sites); the report is the same as without them. With `jobs` > 1 each
    file has `seconds` in its worker process."""
    progress = progress or NoProgress()
    overlay = overlay or {}
    facts = facts or {}
    report = Report(codemod, len(tree.files), write)
    plan, paths = _plan(codemod, tree, write, jobs, seconds, overlay, facts, progress, report)
    progress.start(f"{codemod.name}: {'fixing' if write else 'checking'}", len(paths))
    # With a limit, nothing is written until the first files that change are known.
    job = _Job(str(tree.root), "rewrite", write and not limit, not write, facts)
    outcomes = _map(codemod, job, _items(paths, overlay), jobs, seconds, progress)
    outcomes = _first_files(outcomes, limit, tree.root if write else None, overlay, report)
    for outcome in outcomes:
        {CHANGED: report.changed, UNPARSABLE: report.unparsable, FAILED: report.failed}.get(
            outcome.status, []
        ).append(outcome)
        report.left.extend(outcome.notes)
    report.notes.extend(report.left)
    if plan is not None:
        report.notes[:0] = codemod.plan_notes(plan)
        report.left[:0] = codemod.plan_left(plan)
    report.changed.sort(key=lambda outcome: outcome.path)
    return report


def _needed(codemod: Codemod, files: list[str], overlay: Mapping[str, bytes],
            facts: Mapping[str, FileFacts]) -> list[str]:
    """The files to parse: every one but those whose cached facts show nothing to do (a file an earlier codemod
    of the run rewrote is parsed: its facts describe the bytes on disk, not the rewritten ones)."""
    return [path for path in files if path in overlay or path not in facts or codemod.needs_file(facts[path])]


def _items(paths: list[tuple[str, Any]], overlay: Mapping[str, bytes]) -> list[_Item]:
    """What the workers get for (path, file plan) pairs."""
    return [(path, file_plan, overlay.get(path)) for path, file_plan in paths]


def _plan(codemod: Codemod, tree: Tree, write: bool, jobs: int, seconds: float, overlay: dict[str, bytes],
          facts: Mapping[str, FileFacts], progress: Progress, report: Report) -> tuple[Any, list[tuple[str, Any]]]:
    """The whole-tree plan of a codemod that uses one (None otherwise) and the files to rewrite, each with
    its part of the plan."""
    needed = _needed(codemod, tree.files, overlay, facts)
    if not codemod.uses_plan:
        return None, [(path, None) for path in needed]
    # A file not parsed collected nothing, as one `might_apply` turns away; the plan still sees every path.
    collected: dict[str, Any] = dict.fromkeys(tree.files)
    from_facts = {path: codemod.collect_from_facts(path, facts[path]) for path in needed
                  if path in facts and path not in overlay}
    collected.update((path, value) for path, value in from_facts.items() if value is not None)
    to_parse = [path for path in needed if from_facts.get(path) is None]
    progress.start(f"{codemod.name}: reading", len(to_parse))
    items = _items([(path, None) for path in to_parse], overlay)
    job = _Job(str(tree.root), "collect", False, not write, facts)
    for outcome in _map(codemod, job, items, jobs, seconds, progress):
        if outcome.status == UNCHANGED:
            collected[outcome.path] = outcome.collected
        else:
            del collected[outcome.path]
            (report.unparsable if outcome.status == UNPARSABLE else report.failed).append(outcome)
    plan = codemod.plan(collected, tree.root)
    paths = [(path, codemod.plan_for_file(plan, path)) for path in tree.files]
    for path, content in codemod.extra_files(plan, tree.root).items():
        report.changed.append(_extra_file(tree.root, path, content, write, overlay.get(path)))
    return plan, [(path, file_plan) for path, file_plan in paths if file_plan is not None]


def _first_files(outcomes: list[FileOutcome], limit: int, root: Path | None, overlay: dict[str, bytes],
                 report: Report) -> list[FileOutcome]:
    """Keep the first `limit` changed files (written under `root` when given); the rest wait for a later run.
    A limit of 0 keeps every outcome as it is."""
    if not limit:
        return outcomes
    changed = sorted((o for o in outcomes if o.status == CHANGED), key=lambda o: o.path)
    kept, later = changed[:limit], changed[limit:]
    if later:  # left for a later run: `fix --apply` exits 1 until they are done
        report.left.append(f"--limit {limit}: {len(later)} more file(s) to change in a later run "
                           f"(next: {later[0].path})")
    for index, outcome in enumerate(kept):
        if root is not None:
            try:
                atomic_write(root / outcome.path, outcome.new, expected=None if outcome.path in overlay else outcome.old)
            except OSError as error:
                kept[index] = FileOutcome(outcome.path, FAILED, reason=f"not written: {error}")
    return [*kept, *(o for o in outcomes if o.status != CHANGED)]


def _extra_file(root: Path, path: str, content: bytes, write: bool, override: bytes | None) -> FileOutcome:
    full = root / path
    old = override if override is not None else (full.read_bytes() if full.is_file() else b"")
    edits = [Edit(0, f"{path} written")] if not old else [Edit(0, f"{path} merged")]
    if write and content != old:
        atomic_write(full, content)
    return FileOutcome(path, CHANGED, old, content, edits, extra=True)


# --------------------------------------------------------------------- text for people


def _text(data: bytes, path: str) -> str:
    """A source's text in its declared encoding (a `# coding:` cookie or BOM), for display."""
    encoding = "utf-8"
    if path.endswith(".py"):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:  # an unknown or conflicting cookie: show it as UTF-8
            pass
    return data.decode(encoding, "replace")


def unified_diff(outcome: FileOutcome) -> str:
    old = _text(outcome.old, outcome.path).splitlines(keepends=True)
    new = _text(outcome.new, outcome.path).splitlines(keepends=True)
    source = f"a/{outcome.path}" if outcome.old else "/dev/null"
    lines = []
    for line in difflib.unified_diff(old, new, source, f"b/{outcome.path}"):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def commit_message(report: Report, max_files: int = 40) -> str:
    codemod = report.codemod
    files = len(report.changed)
    lines = [
        f"{codemod.name}: {codemod.commit_subject(report.sites, files)}",
        "",
        f"{codemod.code} {codemod.name} ({codemod.safety} fix): {codemod.summary}",
        "",
        f"{report.sites} site{'s' * (report.sites != 1)} in {files} file{'s' * (files != 1)}:",
    ]
    for outcome in report.changed[:max_files]:
        lines.append(f"  {outcome.path}: {len(outcome.edits)}")
    if files > max_files:
        lines.append(f"  ... and {files - max_files} more files")
    if report.unparsable:
        lines += ["", f"{len(report.unparsable)} files were skipped because they do not parse."]
    lines += ["", f"Generated by `analyzer fix {codemod.name}`; running it again changes nothing."]
    return "\n".join(lines) + "\n"


def _evidence(reports: list[Report], max_sites: int) -> list[str]:
    """Per rewritten site that carries evidence: where it is, what changed, and why."""
    lines, shown, total = [], 0, 0
    for report in reports:
        for outcome in report.changed:
            for edit in outcome.edits:
                if not edit.evidence:
                    continue
                total += 1
                if shown < max_sites:
                    shown += 1
                    lines.append(f"- `{outcome.path}:{edit.line}` {edit.message}")
                    lines.extend(f"  - {item}" for item in edit.evidence)
    if total > shown:
        lines.append(f"- ... and {total - shown} more (run the codemod without --apply to see every diff)")
    return lines


def _details(done: list[Report], max_notes: int, max_evidence: int) -> list[str]:
    """The pull request's skipped files, per-site evidence and notes, each section only when it has lines."""
    body: list[str] = []
    skipped = sorted({o.path for r in done for o in r.unparsable})
    if skipped:
        body += ["", f"## Skipped ({len(skipped)} files do not parse)", "", *[f"- `{p}`" for p in skipped[:max_notes]]]
    evidence = _evidence(done, max_evidence)
    if evidence:
        body += ["", "## Evidence", "", *evidence]
    notes = [n for r in done for n in r.notes]
    if notes:
        body += ["", "## Notes", "", *[f"- {n}" for n in notes[:max_notes]]]
        if len(notes) > max_notes:
            body.append(f"- ... and {len(notes) - max_notes} more")
    return body


def pull_request_text(reports: list[Report], max_notes: int = 30, max_evidence: int = 100) -> tuple[str, str]:
    done = [r for r in reports if r.changed]
    title = "Fix: " + ", ".join(f"{r.codemod.name} ({r.sites} sites)" for r in done)
    rows = ["| Codemod | Code | Safety | Files | Sites |", "| --- | --- | --- | ---: | ---: |"]
    rows += [
        f"| {r.codemod.name} | {r.codemod.code} | {r.codemod.safety} | {len(r.changed)} | {r.sites} |" for r in done
    ]
    review = [
        "- One commit per codemod: review them one at a time (`git show <commit>`); each diff touches only "
        "the sites counted above.",
        "- Every rewritten file was parsed with libcst and compiled before it replaced the original.",
        "- Re-running `analyzer fix " + ",".join(r.codemod.name for r in done) + "` must report no changes.",
    ]
    review += [f"- {r.codemod.name}: {r.codemod.review}" for r in done if r.codemod.review]
    if any(r.codemod.safety != "safe" for r in done):
        review.append(
            "- This pull request contains **unsafe** fixes that change run-time behaviour; run the agents' tests."
        )
    body = ["## Summary", "", *rows, "", "## How to review", "", *review]
    body += _details(done, max_notes, max_evidence)
    return title, "\n".join(body) + "\n"
