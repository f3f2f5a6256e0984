"""narrow-excepts on multi-file trees through the CLI: counts and reasons, --limit, --unsafe, --log-swallowed,
repository raise rows, the evidence in the pull request, and the fixture's narrowable handlers."""

from __future__ import annotations

import json
import shutil

from agent_graph_codemods.apply import pull_request_text, run_codemod
from agent_graph_codemods.base import parse_checked
from agent_graph_codemods.narrow_excepts import NarrowExcepts
from agent_graph_codemods.tree import discover, load_scope
from tests.conftest import FIXTURE_REPO, write_repo

TREE = {
    "common/errors.py": "class BusError(Exception):\n    pass\n",
    "common/bus.py": (
        "from common.errors import BusError\n\n\n"
        "def publish(topic: str):\n    if not topic:\n        raise BusError(topic)\n"
    ),
    "agents/alpha.py": (
        '"""Alpha."""\nfrom json import loads\n\nfrom common.bus import publish\n\n\n'
        "def handle(raw: str):\n    try:\n        publish(raw)\n        return loads(raw)\n"
        "    except Exception:  # keep serving\n        return None\n"
    ),
    "agents/beta.py": (
        "import logging\n\nimport zmq\n\nlog = logging.getLogger('beta')\n\n\nclass Beta:\n"
        "    def __init__(self):\n        self.context = zmq.Context()\n"
        "        self.socket = self.context.socket(zmq.PUSH)\n\n    def push(self, frame: bytes):\n"
        "        try:\n            self.socket.send(frame)\n        except:\n            pass\n\n"
        "    def drain(self, items):\n        try:\n            for item in items:\n                self.socket.send(item)\n"
        "        except Exception:\n            pass\n"
    ),
    "agents/gamma.py": (
        "import os\n\n\ndef size(path):\n    try:\n        return os.path.getsize(path)\n    except BaseException:\n"
        "        return 0\n\n\ndef cleanup(sock):\n    try:\n        sock.close()\n    except:\n        sock = None\n"
        "        raise\n"
    ),
}


def _read(root, paths):
    return {p: (root / p).read_text() for p in paths}


def test_dry_run_counts_and_groups_reasons_then_apply_rewrites_compiles_and_is_idempotent(tmp_path, cli) -> None:
    root = write_repo(tmp_path / "system", TREE)
    dry = cli("fix", "narrow-excepts", root, "-j", "1")
    assert dry.exit_code == 1, dry.output
    assert "5 bare or broad handler(s): 3 narrowed (1 more with --unsafe), 2 left alone" in dry.stderr
    assert "left alone, the handler raises (clean-up or wrapping handler): 1" in dry.stderr
    assert "left alone, iterates over an object of unknown type: 1" in dry.stderr
    assert "-    except Exception:  # keep serving\n+    except (BusError, json.JSONDecodeError):  # keep serving" \
        in dry.stdout
    assert _read(root, TREE) == TREE  # a dry run writes nothing

    applied = cli("fix", "narrow-excepts", root, "--apply", "-j", "1")
    assert applied.exit_code == 0, applied.output  # every handler it could prove narrowed
    after = _read(root, TREE)
    assert after["agents/alpha.py"] == (
        '"""Alpha."""\nfrom json import loads\n\nfrom common.bus import publish\nfrom common.errors import BusError\n'
        "import json\n\n\ndef handle(raw: str):\n    try:\n        publish(raw)\n        return loads(raw)\n"
        "    except (BusError, json.JSONDecodeError):  # keep serving\n        return None\n"
    )
    assert "        except zmq.ZMQError:\n            pass\n" in after["agents/beta.py"]
    assert "        except Exception:\n            pass\n" in after["agents/beta.py"]  # drain: not proven
    assert "    except OSError:\n        return 0\n" in after["agents/gamma.py"]
    assert "    except:\n        sock = None\n        raise\n" in after["agents/gamma.py"]
    for path, text in after.items():
        parse_checked(text.encode(), path)
    again = cli("fix", "narrow-excepts", root, "--apply", "-j", "1")
    assert again.exit_code == 0, again.output
    assert _read(root, TREE) == after


def test_limit_rewrites_the_first_files_and_leaves_the_rest_for_the_next_run(tmp_path, cli) -> None:
    root = write_repo(tmp_path / "system", TREE)
    first = cli("fix", "narrow-excepts", root, "--apply", "--limit", "2", "-j", "1")
    assert first.exit_code == 1, first.output  # one file left for a later run
    changed = {p for p, text in _read(root, TREE).items() if text != TREE[p]}
    assert changed == {"agents/alpha.py", "agents/beta.py"}
    assert "--limit 2: 1 more file(s) to change in a later run (next: agents/gamma.py)" in first.stderr
    second = cli("fix", "narrow-excepts", root, "--apply", "--limit", "2", "-j", "1")
    assert second.exit_code == 0, second.output  # the last batch: nothing left for a later run
    assert _read(root, ["agents/gamma.py"])["agents/gamma.py"] != TREE["agents/gamma.py"]
    assert cli("fix", "narrow-excepts", root, "--apply", "--limit", "2", "-j", "1").exit_code == 0


def test_unsafe_narrows_the_partly_proven_handler_under_a_comment(tmp_path, cli) -> None:
    root = write_repo(tmp_path / "system", {"agents/beta.py": TREE["agents/beta.py"]})
    result = cli("fix", "narrow-excepts", root, "--apply", "--unsafe", "-j", "1")
    assert result.exit_code == 0, result.output
    text = (root / "agents/beta.py").read_text()
    assert ("        # narrow-excepts --unsafe: not proven: line 21 `items` (iterates over an object of unknown type)\n"
            "        except zmq.ZMQError:\n") in text
    assert "(1 not fully proven, under a comment)" in result.stderr


def test_log_swallowed_logs_through_the_modules_own_logger(tmp_path, cli) -> None:
    root = write_repo(tmp_path / "system", {"agents/beta.py": TREE["agents/beta.py"]})
    result = cli("fix", "narrow-excepts", root, "--apply", "--log-swallowed", "-j", "1")
    assert result.exit_code == 0, result.output
    text = (root / "agents/beta.py").read_text()
    assert '        except zmq.ZMQError:\n            log.exception("Ignored exception in Beta.push()")\n' in text
    assert text.count("getLogger") == 1


def test_the_pull_request_body_names_each_exceptions_call_and_source(tmp_path) -> None:
    root = write_repo(tmp_path / "system", TREE)
    report = run_codemod(NarrowExcepts(), discover(root))
    title, body = pull_request_text([report])
    assert title == "Fix: narrow-excepts (3 sites)"
    evidence = body.split("## Evidence\n\n", 1)[1]
    assert "- `agents/alpha.py:11` except -> except (BusError, json.JSONDecodeError)\n" in evidence
    assert ("  - common.errors.BusError: line 9 `publish()` -> publish (common/bus.py:4): line 6 `raise BusError` "
            "(explicit raise in common/bus.py)\n") in evidence
    assert ("  - json.JSONDecodeError: line 10 `loads()` (raise table: json.loads "
            "(https://docs.python.org/3/library/json.html#json.loads))\n") in evidence
    assert "  - OSError: line 6 `os.path.getsize()` (raise table: os.path.getsize" in evidence
    assert "## Notes\n\n- 5 bare or broad handler(s): 3 narrowed" in body


def test_raise_rows_from_the_repositorys_settings(tmp_path, cli) -> None:
    files = {
        "agents/client.py": "import rpc\n\n\ndef ask(q):\n    try:\n        return rpc.call(q)\n    except Exception:\n"
                            "        return None\n",
        "pyproject.toml": '[[tool.analyzer.raises]]\ncall = "rpc.call"\nraises = ["rpc.RpcError"]\n'
                          'note = "our RPC client wraps every failure"\n\n[[tool.analyzer.raises]]\n'
                          'exception = "rpc.RpcError"\nbase = "OSError"\n',
    }
    root = write_repo(tmp_path / "system", files)
    result = cli("fix", "narrow-excepts", root, "-j", "1")
    assert result.exit_code == 1, result.output
    assert "+    except rpc.RpcError:" in result.stdout
    (root / "pyproject.toml").write_text('[[tool.analyzer.raises]]\ncall = "rpc.call"\n')
    broken = cli("fix", "narrow-excepts", root, "-j", "1")
    assert broken.exit_code == 2
    assert "[tool.analyzer] raises row 1: give either raises" in broken.stderr


def test_the_fixture_rewrites_exactly_the_handlers_narrowable_excepts_lists(tmp_path, cli) -> None:
    root = tmp_path / "agent_system"
    shutil.copytree(FIXTURE_REPO, root)
    expected = json.loads((FIXTURE_REPO / "expected_findings" / "narrowable-excepts.json").read_text())
    scope = load_scope(root)  # what `analyzer fix` rewrites: copies left out, as the check leaves them out
    report = run_codemod(NarrowExcepts(), discover(root, scope), write=True)
    sites = sorted((outcome.path, edit.line) for outcome in report.changed for edit in outcome.edits)
    assert sites == sorted((row["path"], row["line"]) for row in expected)
    for outcome in report.changed:
        parse_checked(outcome.new, outcome.path)
    assert run_codemod(NarrowExcepts(), discover(root, scope)).changed == []
