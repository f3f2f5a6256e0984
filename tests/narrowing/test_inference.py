"""What a try body can raise: the whole-repository inference on small repositories."""

from __future__ import annotations

import textwrap

import pytest

from analyzer.extract import extract_source
from analyzer.narrowing.infer import (
    LEFT, MAX_CALL_DEPTH, NARROW, REASON_NAMING, REASON_NOTHING, REASON_RERAISES, REASON_STAR, UNPROVEN, Inference,
    Verdict, narrow_excepts, repository_of, verdicts,
)


def _verdicts(files: dict[str, str]) -> list[Verdict]:
    facts = [extract_source(textwrap.dedent(code), path) for path, code in files.items()]
    return verdicts(Inference(repository_of(facts)))


def _one(code: str, path: str = "agents/a.py") -> Verdict:
    found = _verdicts({path: code})
    assert len(found) == 1, found
    return found[0]


PROVEN = [
    ("len of a list literal raises nothing", """
        def f(x):
            try:
                return len([1, 2]) + int(x)
            except Exception:
                return 0
        """, ("TypeError", "ValueError")),
    ("a nested handler filters what it catches", """
        def f(x):
            try:
                try:
                    int(x)
                except ValueError:
                    pass
            except Exception:
                pass
        """, ("TypeError",)),
    ("a nested handler that re-raises filters nothing", """
        def f(x):
            try:
                try:
                    int(x)
                except ValueError:
                    raise
            except Exception:
                pass
        """, ("TypeError", "ValueError")),
    ("self.m() also runs the subclasses' m", """
        class A:
            def step(self):
                raise KeyError("a")

            def run(self):
                try:
                    self.step()
                except Exception:
                    pass


        class B(A):
            def step(self):
                raise IndexError("b")
        """, ("IndexError", "KeyError")),
    ("recursion ends", """
        def count(n: int):
            if n > 0:
                return count(n - 1)
            raise ValueError("done")


        def f():
            try:
                count(3)
            except Exception:
                pass
        """, ("ValueError",)),
    ("a project exception under a builtin one is covered by it", """
        class PortError(ValueError):
            pass


        def parse(text: str):
            if not text:
                raise PortError(text)
            return int(text)


        def f(text: str):
            try:
                return parse(text)
            except:
                return 0
        """, ("TypeError", "ValueError")),
    ("an awaited coroutine of the repository", """
        async def fetch():
            raise ConnectionError("down")


        async def f():
            try:
                await fetch()
            except Exception:
                pass
        """, ("ConnectionError",)),
    ("sys.exit is not caught by except Exception", """
        import sys


        def f(x):
            try:
                int(x)
                sys.exit(1)
            except Exception:
                pass
        """, ("TypeError", "ValueError")),
    ("a bare except keeps catching the SystemExit the body raises", """
        import sys


        def f(x):
            try:
                sys.exit(int(x))
            except:
                pass
        """, ("SystemExit", "TypeError", "ValueError")),
    ("an attribute first set to None, then to a socket", """
        import zmq


        class Agent:
            def __init__(self):
                self.sock = None

            def start(self, ctx: zmq.Context):
                self.sock = ctx.socket(zmq.PUB)

            def publish(self, data: bytes):
                try:
                    self.sock.send(data)
                except Exception:
                    pass
        """, ("zmq.ZMQError",)),
    ("a socket made by a helper method, a logger by a helper function", """
        import logging

        import zmq


        def make_logger(name):
            return logging.getLogger(name)


        class Agent:
            def __init__(self):
                self.context = zmq.Context()
                self.socket = self._connect("tcp://localhost:5555")
                self.log = make_logger("agent")

            def _connect(self, address):
                sock = self.context.socket(zmq.REQ)
                sock.connect(address)
                return sock

            def ask(self, question: str):
                try:
                    self.socket.send(question.encode())
                    self.log.info("asked")
                except Exception:
                    pass
        """, ("UnicodeEncodeError", "zmq.ZMQError")),
    ("check_output returns bytes, or str with text=True", """
        import subprocess


        def f():
            try:
                listing = subprocess.check_output(["ls"]).decode()
                version = subprocess.check_output(["uname"], text=True).strip()
            except Exception:
                pass
        """, ("OSError", "UnicodeDecodeError", "subprocess.CalledProcessError", "subprocess.TimeoutExpired")),
    ("pairs from dict.items() and a split str unpacked", """
        def f(settings: dict, line: str):
            try:
                for key, value in settings.items():
                    name, port = line.split(":")
            except Exception:
                pass
        """, ("ValueError",)),
    ("a file read in a with block", """
        def f(path):
            try:
                with open(path) as handle:
                    return handle.read()
            except Exception:
                return ""
        """, ("OSError", "UnicodeDecodeError")),
    ("a JSON reply subscripted", """
        import zmq


        def f(sock: zmq.Socket):
            try:
                reply = sock.recv_json()
                return reply["status"]
            except Exception:
                return None
        """, ("IndexError", "KeyError", "TypeError", "ValueError", "zmq.ZMQError")),
    ("arithmetic on known numbers, a float format spec", """
        import time


        def f(start: float, count: int):
            try:
                rate = count / (time.time() - start)
                return f"{rate:.2f}/s"
            except Exception:
                return ""
        """, ("ZeroDivisionError",)),
]


@pytest.mark.parametrize(("code", "types"), [pytest.param(c, t, id=n) for n, c, t in PROVEN])
def test_proven_bodies_are_narrowed_to_what_they_raise(code: str, types: tuple[str, ...]) -> None:
    found = [v for v in _verdicts({"agents/a.py": code}) if v.status != LEFT or v.reason != REASON_NOTHING]
    assert [v.status for v in found] == [NARROW], found
    assert tuple(sorted(found[0].types)) == types
    assert len(found[0].evidence) == len(found[0].types)


NOT_PROVEN = [
    ("an attribute of an unknown object", """
        def f(config):
            try:
                return int(config.timeout)
            except Exception:
                return 5
        """, "reads an attribute of an object of unknown type"),
    ("a subscript of an unknown object", """
        def f(items):
            try:
                return int(items[0])
            except Exception:
                return 0
        """, "subscripts an object of unknown type"),
    ("arithmetic on unknown operands", """
        def f(a, b):
            try:
                return int(a) + b
            except Exception:
                return 0
        """, "does arithmetic on operands of unknown type"),
    ("len of an unknown object", """
        def f(items):
            try:
                return int(len(items))
            except Exception:
                return 0
        """, "passes an object of unknown type to a call that iterates it"),
    ("an awaited unknown object", """
        async def f(future, x):
            try:
                int(x)
                return await future
            except Exception:
                return None
        """, "awaits an object of unknown type"),
    ("a decorated function", """
        import functools


        def retry(function):
            return function


        @retry
        def send(x):
            return int(x)


        def f(x):
            try:
                send(x)
                int(x)
            except Exception:
                pass
        """, "calls a decorated function"),
    ("a call chain deeper than the limit", "\n".join(
        [f"def f{i}(x):\n    return f{i + 1}(x)\n" for i in range(MAX_CALL_DEPTH + 1)]
        + [f"def f{MAX_CALL_DEPTH + 1}(x):\n    return int(x)\n",
           "def top(x):\n    try:\n        int(x)\n        f0(x)\n    except Exception:\n        pass\n"]),
     f"calls more than {MAX_CALL_DEPTH} functions deep"),
    ("a method of an unknown object", """
        def f(sock, x):
            try:
                int(x)
                sock.send(x)
            except Exception:
                pass
        """, "calls a method on an object of unknown type"),
]


@pytest.mark.parametrize(("code", "category"), [pytest.param(c, r, id=n) for n, c, r in NOT_PROVEN])
def test_bodies_with_an_unknown_are_not_proven(code: str, category: str) -> None:
    verdict = _one(code)
    assert verdict.status == UNPROVEN
    assert verdict.reason == category
    assert verdict.unproven and all(line.startswith("line ") for line in verdict.unproven)
    assert "ValueError" in verdict.types  # what is known is still listed, for --unsafe


def test_handlers_that_are_left_alone_and_why() -> None:
    reraise = _one("def f(x):\n    try:\n        int(x)\n    except Exception:\n        log(x)\n        raise\n")
    assert (reraise.status, reraise.reason) == (LEFT, REASON_RERAISES)
    dead = _one("def f():\n    try:\n        x = [1]\n    except Exception:\n        pass\n")
    assert (dead.status, dead.reason) == (LEFT, REASON_NOTHING)
    star = _one("def f(x):\n    try:\n        int(x)\n    except* Exception:\n        pass\n")
    assert (star.status, star.reason) == (LEFT, REASON_STAR)
    rebound = _one("from json import loads\n\njson = None\n\n\ndef f(raw: str):\n    try:\n        return loads(raw)\n"
                   "    except Exception:\n        return None\n")
    assert (rebound.status, rebound.reason) == (LEFT, REASON_NAMING)
    shadowed = _one("import json\n\n\ndef f(raw: str, json=None):\n    try:\n        return json.loads(raw)\n"
                    "    except Exception:\n        return None\n")
    # The parameter named json is not the module: its loads() is a call on an object of unknown type.
    assert (shadowed.status, shadowed.reason) == (LEFT, "calls a method on an object of unknown type")


def test_names_and_imports_the_handler_module_needs() -> None:
    found = _verdicts({
        "common/errors.py": "class BusError(Exception):\n    pass\n",
        "common/bus.py": "from common.errors import BusError\n\n\ndef publish(topic: str):\n"
                         "    if not topic:\n        raise BusError(topic)\n",
        "agents/a.py": "from json import loads\nfrom common.bus import publish\n\n\ndef f(raw: str):\n    try:\n"
                       "        publish(raw)\n        return loads(raw)\n    except Exception:\n        return None\n",
        "agents/b.py": "import common.bus as bus\nimport zmq as z\n\n\ndef g(sock: z.Socket):\n    try:\n"
                       "        bus.publish('t')\n        sock.recv()\n    except Exception:\n        pass\n",
    })
    by_path = {v.path: v for v in found}
    a, b = by_path["agents/a.py"], by_path["agents/b.py"]
    assert a.status == b.status == NARROW
    assert a.types == ("common/errors.py::BusError", "json.JSONDecodeError")
    assert a.names == ("BusError", "json.JSONDecodeError")
    assert a.imports == ("from common.errors import BusError", "import json")
    assert a.display_types == "common.errors.BusError,json.JSONDecodeError"
    # `import zmq as z` is reused; BusError is imported from where it is defined, spelled from the same root.
    assert b.names == ("BusError", "z.ZMQError") and b.imports == ("from common.errors import BusError",)


def test_attributes_set_by_a_base_class_in_another_module() -> None:
    found = _verdicts({
        "common/base_agent.py": "import zmq\n\n\nclass BaseAgent:\n    def __init__(self):\n"
                                "        self.context = zmq.Context.instance()\n",
        "agents/memory.py": "import zmq\nfrom common.base_agent import BaseAgent\n\n\nclass Memory(BaseAgent):\n"
                            "    def __init__(self):\n        super().__init__()\n"
                            "        self.socket = self.context.socket(zmq.REP)\n\n    def serve(self):\n"
                            "        try:\n            self.socket.send_string('up')\n        except:\n            pass\n",
    })
    assert [(v.path, v.status, v.types) for v in found] == [
        ("agents/memory.py", NARROW, ("UnicodeEncodeError", "zmq.ZMQError"))]


def test_the_scan_pass_marks_only_proven_bare_and_broad_handlers() -> None:
    code = ("def f(x):\n    try:\n        return int(x)\n    except ValueError:\n        return 0\n"
            "    except Exception:\n        return 1\n\n\ndef g(x):\n    try:\n        x.go()\n"
            "    except Exception:\n        pass\n")
    files = [extract_source(code, "agents/a.py")]
    marked, _kept = narrow_excepts(files)
    assert [(x.line, x.kind, x.narrowable, x.narrow_types) for x in marked[0].excepts] == [
        (4, "specific", False, ""), (6, "broad", True, "TypeError"), (13, "broad", False, "")]
    assert [x.narrowable for x in files[0].excepts] == [False, False, False]  # the input facts are not changed


REUSE_FILES = {
    "agents/a.py": "from utils.io import load\n\n\ndef f(path):\n    try:\n        return load(path)\n"
                   "    except Exception:\n        return None\n",
    "utils/io.py": "def load(path):\n    return open(path).read()\n",
    "agents/c.py": "def g(x):\n    try:\n        return int(x)\n    except Exception:\n        return 0\n",
}


def _narrowed(facts) -> dict[str, list[str]]:
    return {f.path: [x.narrow_types for x in f.excepts] for f in facts}


def test_a_rescan_reuses_the_verdicts_of_files_whose_reads_are_unchanged(monkeypatch, tmp_path) -> None:
    from analyzer.narrowing import infer

    facts = {path: extract_source(code, path) for path, code in REUSE_FILES.items()}
    first, kept = narrow_excepts(list(facts.values()))
    assert kept.files["agents/a.py"].reads == ("agents/a.py", "utils/io.py")  # the helper its handler calls
    inferred: list[str] = []
    follow = infer.file_verdicts
    monkeypatch.setattr(infer, "file_verdicts", lambda repo, table, path: inferred.append(path) or follow(repo, table, path))

    # c.py changes: only it is inferred again; a.py keeps its verdict, and the result is a full pass's.
    facts["agents/c.py"] = extract_source(REUSE_FILES["agents/c.py"].replace("int(x)", "x.go()"), "agents/c.py")
    again, kept = narrow_excepts(list(facts.values()), previous=kept)
    assert inferred == ["agents/c.py"]
    assert _narrowed(again) == _narrowed(narrow_excepts(list(facts.values()))[0])
    assert _narrowed(again)["agents/a.py"] == _narrowed(first)["agents/a.py"] != [""]

    # The helper changes: a.py, which read it, is inferred again and narrows to the new helper's exceptions.
    inferred.clear()
    facts["utils/io.py"] = extract_source("def load(path):\n    return int(path)\n", "utils/io.py")
    again, kept = narrow_excepts(list(facts.values()), previous=kept)
    assert sorted(inferred) == ["agents/a.py", "utils/io.py"]
    assert _narrowed(again) == _narrowed(narrow_excepts(list(facts.values()))[0])
    assert _narrowed(again)["agents/a.py"] != _narrowed(first)["agents/a.py"]

    # Another set of paths or another raise table (the bundled one edited, or rows added): nothing is reused.
    inferred.clear()
    narrow_excepts(list(facts.values()), extra_rows=[], previous=kept)
    narrow_excepts([*facts.values(), extract_source("x = 1\n", "agents/d.py")], previous=kept)
    assert sorted(inferred) == sorted([*REUSE_FILES, *REUSE_FILES, "agents/d.py"])
    edited = tmp_path / "raises.yaml"
    edited.write_bytes(infer.TABLE_PATH.read_bytes() + b"\n# edited\n")
    monkeypatch.setattr(infer, "TABLE_PATH", edited)
    inferred.clear()
    narrow_excepts(list(facts.values()), previous=kept)
    assert sorted(inferred) == sorted(REUSE_FILES)
