"""`analyzer fix` on the facts cache: a run that parses only the files whose cached facts show something to do
reports exactly what a run over every file reports."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from analyzer.cache import FactCache
from analyzer.config import DEFAULT_MAX_FILE_BYTES
from analyzer.extract import extract_file
from analyzer.facts import FileFacts
from agent_graph_codemods import all_codemods
from agent_graph_codemods.apply import NoProgress, run_codemod
from agent_graph_codemods.base import parse_checked
from agent_graph_codemods.port_literals import locate
from agent_graph_codemods.tree import cached_facts, discover, load_scope

IDENTITY = ("path", "machine", "sha256", "size", "lines", "parse_status", "parse_error")  # always decoded
# Options that change which files a codemod needs (bare-except's log_swallowed also rewrites broad handlers).
OPTION_SETS = [(name, {}) for name in all_codemods()] + [("bare-except", {"log_swallowed": True})]


class CountingProgress(NoProgress):
    """Counts the files a run hands to the parser, phase by phase."""

    def __init__(self) -> None:
        self.files = 0

    def start(self, description: str, total: int) -> None:
        self.files += total


def outcome(report) -> dict:
    return {
        "diff": report.diff(), "changed": [(o.path, o.edits) for o in report.changed], "sites": report.sites,
        "notes": report.notes, "left": report.left, "scanned": report.scanned,
        "unparsable": [(o.path, o.reason) for o in report.unparsable],
        "failed": [(o.path, o.reason) for o in report.failed],
    }


@pytest.mark.parametrize(("name", "options"), OPTION_SETS, ids=lambda v: v if isinstance(v, str) else str(v or ""))
def test_the_candidate_files_give_the_report_of_every_file(name, options, fixture_copy, scanned_fixture,
                                                           fixture_cache_dir):
    scope = load_scope(fixture_copy, include_copies=True)
    tree = discover(fixture_copy, scope)
    codemod = all_codemods()[name](options)
    facts = cached_facts(tree, fixture_cache_dir, codemod.FACT_FIELDS, scope.max_file_bytes)
    parsed = {path: extract_file(path, tree.path_of(path).read_bytes()) for path in tree.files}
    assert set(facts) == {path for path, f in parsed.items() if f.parse_status == "ok"}  # the scan cached them all

    every, candidates = CountingProgress(), CountingProgress()
    full = run_codemod(codemod, tree, progress=every)
    cached = run_codemod(codemod, tree, progress=candidates, facts=facts)
    assert outcome(cached) == outcome(full)
    assert outcome(run_codemod(codemod, tree, facts=facts, jobs=2)) == outcome(full)  # in worker processes
    needed = [path for path in tree.files if path not in facts or codemod.needs_file(facts[path])]
    from_facts = [path for path in needed if codemod.uses_plan and path in facts
                  and codemod.collect_from_facts(path, facts[path]) is not None]
    # One phase reads every file (rewrite, or a plan's collect): the cached run parses only the needed ones, and
    # a plan's collect not even those whose facts say all it needs.
    assert candidates.files == every.files - (len(tree.files) - len(needed)) - len(from_facts)
    if name in ("bare-except", "port-literals"):
        assert len(needed) < len(tree.files) and full.changed, "the fixture must prove the files left out changed nothing"
    if name == "port-literals":
        assert from_facts


@pytest.mark.parametrize("name", [name for name, codemod in all_codemods().items() if codemod.uses_plan])
def test_what_is_collected_from_the_facts_is_what_the_parsed_file_gives(name, fixture_copy, fixture_cache_dir):
    tree = discover(fixture_copy, load_scope(fixture_copy, include_copies=True))
    codemod = all_codemods()[name]()
    compared = 0
    for path, facts in cached_facts(tree, fixture_cache_dir, codemod.FACT_FIELDS).items():
        from_facts = codemod.collect_from_facts(path, facts)
        if from_facts is not None:
            compared += 1
            assert from_facts == codemod.collect(path, parse_checked(tree.path_of(path).read_bytes(), path)), path
    assert compared or name != "port-literals"


def test_a_file_an_earlier_codemod_rewrote_is_parsed_whatever_its_cached_facts_say(fixture_copy, fixture_cache_dir):
    """`fix a,b` runs b on a's output, which the cache has never seen."""
    tree = discover(fixture_copy, load_scope(fixture_copy))
    bare = all_codemods()["bare-except"]()
    facts = cached_facts(tree, fixture_cache_dir, bare.FACT_FIELDS)
    clean = next(path for path in sorted(facts) if not bare.needs_file(facts[path]))
    overlay = {clean: tree.path_of(clean).read_bytes() + b"\n\ntry:\n    pass\nexcept:\n    pass\n"}
    report = run_codemod(bare, tree, overlay=overlay, facts=facts)
    assert clean in report.changed_paths
    assert outcome(report) == outcome(run_codemod(bare, tree, overlay=overlay))


def test_without_a_cache_fix_says_so_and_parses_every_file(fixture_copy, tmp_path, cli, fixture_cache_dir):
    empty = cli("fix", "bare-except", fixture_copy, "--cache-dir", tmp_path / "no-cache", "-j", "1")
    cached = cli("fix", "bare-except", fixture_copy, "--cache-dir", fixture_cache_dir, "-j", "1")
    assert empty.exit_code == cached.exit_code == 1
    assert empty.stdout == cached.stdout and "except Exception:" in cached.stdout
    notice = [line for line in empty.stderr.splitlines() if "no cached facts" in line]
    assert len(notice) == 1 and "parsing every file" in notice[0]
    assert "no cached facts" not in cached.stderr


def test_a_partial_read_decodes_the_named_lists_as_a_full_read_does_and_no_other(fixture_repo, fixture_cache_dir):
    cache, names = FactCache(fixture_cache_dir), ("excepts", "endpoints", "port_definitions")
    compared = 0
    for path in sorted(fixture_repo.rglob("*.py")):
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        full, partial = cache.get(sha256, DEFAULT_MAX_FILE_BYTES), cache.get_fields(sha256, DEFAULT_MAX_FILE_BYTES, names)
        assert (full is None) == (partial is None)
        if full is None or full.parse_status != "ok":
            continue
        compared += bool(full.excepts or full.endpoints)
        for field in dataclasses.fields(FileFacts):
            if field.name in names or field.name in IDENTITY:
                expected = getattr(full, field.name)
            else:  # left as a new FileFacts has it
                expected = field.default_factory() if field.default is dataclasses.MISSING else field.default
            assert getattr(partial, field.name) == expected, (path, field.name)
    assert compared
    with pytest.raises(ValueError, match="no field"):
        cache.get_fields("0" * 64, DEFAULT_MAX_FILE_BYTES, ["no_such_list"])


def test_port_sites_located_with_the_cached_facts_are_those_located_by_extracting_again(fixture_copy,
                                                                                     fixture_cache_dir):
    tree = discover(fixture_copy, load_scope(fixture_copy, include_copies=True))
    codemod = all_codemods()["port-literals"]()
    compared = 0
    for path, facts in cached_facts(tree, fixture_cache_dir, codemod.FACT_FIELDS).items():
        module = parse_checked(tree.path_of(path).read_bytes(), path)
        extracted = locate(module, path)
        assert locate(module, path, facts) == extracted, path
        compared += bool(extracted[0])
    assert compared
