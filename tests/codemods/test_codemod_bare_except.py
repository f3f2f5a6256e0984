"""bare-except on a multi-file tree through the CLI, and the corners of its rewrite."""

from __future__ import annotations

import difflib

import pytest

from analyzer.extract import extract_file
from agent_graph_codemods.bare_except import BareExcept
from agent_graph_codemods.base import NotParsable, apply_to_source, parse_checked


def _bare_count(path: str, data: bytes) -> int:
    return sum(1 for fact in extract_file(path, data).excepts if fact.kind == "bare")


def _parses(path: str, data: bytes) -> bool:
    try:
        parse_checked(data, path)
    except NotParsable:
        return False
    return True


def test_apply_leaves_no_bare_except_and_changes_only_except_lines(agent_tree, cli, layout) -> None:
    SOURCES, SKIPPED, UNPARSABLE = layout.sources, layout.skipped, layout.unparsable
    before = layout.read(agent_tree, SOURCES + SKIPPED)
    parsable = [p for p in SOURCES if _parses(p, before[p])]
    assert sorted(set(SOURCES) - set(parsable)) == UNPARSABLE
    sites_before = sum(_bare_count(p, before[p]) for p in parsable)
    assert sites_before >= 8

    result = cli("fix", "bare-except", agent_tree, "--apply", "--jobs", "1")
    assert result.exit_code == 0, result.output  # every site fixed
    after = layout.read(agent_tree, SOURCES + SKIPPED)

    assert sum(_bare_count(p, after[p]) for p in parsable) == 0
    for path in parsable:
        parse_checked(after[path], path)  # still parses and compiles
    for path in UNPARSABLE + SKIPPED:
        assert after[path] == before[path]
    removed = added = 0
    for path in parsable:
        old = before[path].decode().splitlines(keepends=True)
        new = after[path].decode().splitlines(keepends=True)
        assert len(old) == len(new), path
        for line in difflib.unified_diff(old, new, n=0):
            if line.startswith("-") and not line.startswith("---"):
                removed += 1
                assert "except" in line
            elif line.startswith("+") and not line.startswith("+++"):
                added += 1
    assert removed == added == sites_before
    assert f"{sites_before} site(s) fixed" in result.stderr
    assert "pc2_code/legacy/py2_agent.py" in result.stderr  # listed as skipped

    again = cli("fix", "bare-except", agent_tree, "--apply", "--jobs", "1")
    assert again.exit_code == 0, again.output
    assert layout.read(agent_tree, SOURCES) == {p: after[p] for p in SOURCES}


def test_line_endings_and_tabs_are_kept(agent_tree, cli) -> None:
    assert cli("fix", "bare-except", agent_tree, "--apply", "-j", "1").exit_code == 0
    crlf = (agent_tree / "pc2_code/run_all.py").read_bytes()
    assert b"except Exception: uvloop = None\r\n" in crlf
    assert crlf.count(b"\r\n") == crlf.count(b"\n")
    assert (agent_tree / "main_pc_code/utils/tabs.py").read_bytes() == (
        b"def f():\n\ttry:\n\t\tg()\n\texcept Exception:\n\t\tpass\n"
    )


def test_reraising_handlers_get_base_exception(agent_tree, cli) -> None:
    cli("fix", "bare-except", agent_tree, "--apply", "-j", "1")
    emotion = (agent_tree / "pc2_code/agents/emotion.py").read_text()
    assert "except BaseException:\n            self.sock.close()\n            raise" in emotion
    nested = (agent_tree / "main_pc_code/agents/duplicate_publisher.py").read_text()
    # The outer handler holds a raise only inside a nested try: it still raises, so BaseException.
    assert nested.count("except BaseException:") == 2


def test_log_swallowed_through_the_cli(agent_tree, cli) -> None:
    result = cli("fix", "bare-except", agent_tree, "--apply", "--log-swallowed", "-j", "1")
    assert result.exit_code == 0, result.output
    memory = (agent_tree / "main_pc_code/agents/memory.py").read_text()
    assert 'except Exception: logger.exception("Ignored exception in start()")' in memory
    assert memory.startswith("import zmq\nimport logging\n\nlogger = logging.getLogger(__name__)\n\n")
    compile(memory, "memory.py", "exec")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "from __future__ import annotations\ntry:\n    import zmq\nexcept:\n    pass\n",
            "from __future__ import annotations\nimport logging\n\nlogger = logging.getLogger(__name__)\n"
            "try:\n    import zmq\nexcept Exception:\n    logger.exception(\"Ignored exception\")\n",
            id="module-level handler: logger defined before it, after __future__",
        ),
        pytest.param(
            "import os\ntry:\n    x()\nexcept:\n    pass\nimport logging\n",
            "import os\nimport logging\n\nlogger = logging.getLogger(__name__)\ntry:\n    x()\nexcept Exception:\n"
            "    logger.exception(\"Ignored exception\")\nimport logging\n",
            id="an import of logging after the handler does not count",
        ),
        pytest.param(
            "import logging\nlogger = None\n\ndef f():\n    try:\n        x()\n    except:\n        pass\n",
            "import logging\n\n_logger = logging.getLogger(__name__)\nlogger = None\n\n"
            "def f():\n    try:\n        x()\n"
            "    except Exception:\n        _logger.exception(\"Ignored exception in f()\")\n",
            id="a module name `logger` that is not a logger is not reused",
        ),
        pytest.param(
            "from utils.log import logger\n\ndef f():\n    try:\n        x()\n    except:\n        pass\n",
            "from utils.log import logger\n\ndef f():\n    try:\n        x()\n    except Exception:\n"
            "        logger.exception(\"Ignored exception in f()\")\n",
            id="an imported logger is reused",
        ),
        pytest.param(
            "import logging\ntry:\n    import zmq\nexcept:\n    pass\nlog = logging.getLogger('x')\n",
            "import logging\n\nlogger = logging.getLogger(__name__)\ntry:\n    import zmq\nexcept Exception:\n"
            "    logger.exception(\"Ignored exception\")\nlog = logging.getLogger('x')\n",
            id="a logger defined after a module-level handler is not used by it",
        ),
    ],
)
def test_logger_placement(before: str, after: str) -> None:
    result = apply_to_source(BareExcept({"log_swallowed": True}), before)
    assert result.code == after


def test_except_star_and_typed_handlers_are_untouched() -> None:
    code = "try:\n    f()\nexcept* ValueError:\n    pass\n"
    assert apply_to_source(BareExcept({"log_swallowed": True}), code).code == code


def test_edits_name_the_lines() -> None:
    code = "def f():\n    try:\n        g()\n    except:\n        raise\n\n\ntry:\n    h()\nexcept:\n    pass\n"
    result = apply_to_source(BareExcept(), code)
    assert [(e.line, e.message) for e in result.edits] == [
        (4, "except: -> except BaseException:"),
        (10, "except: -> except Exception:"),
    ]
