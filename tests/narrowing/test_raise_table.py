"""The raise table: every row sourced, every exception it names known, conditions as documented."""

from __future__ import annotations

import pytest
import yaml

from analyzer.narrowing.model import CallShape
from analyzer.narrowing.table import TABLE_PATH, TableError, is_builtin_exception, load_table

TABLE = load_table()


def _raises(name: str, shape: CallShape = CallShape(), first_arg: str | None = None) -> tuple[str, ...] | None:
    row = TABLE.find(name, shape, lambda: first_arg)
    return None if row is None else row.raises


def test_every_row_says_where_its_answer_comes_from() -> None:
    unsourced = [row.call for row in TABLE.rows if not (row.source or row.note)]
    assert unsourced == []
    assert all(row.source.startswith("https://") for row in TABLE.rows if row.source)


def test_every_exception_the_table_names_has_a_known_base() -> None:
    named = {e for row in [*TABLE.rows, *TABLE.subscripts.values(), *TABLE.iteration.values()] for e in row.raises}
    unknown = sorted(e for e in named if not is_builtin_exception(e) and TABLE.base_of(e) is None)
    assert unknown == []
    bases = {base for base, _ in TABLE.exceptions.values()}
    assert all(is_builtin_exception(b) or b in TABLE.exceptions for b in bases)


def test_every_type_a_row_returns_has_rows_or_is_a_builtin_container() -> None:
    returned = {row.returns for row in TABLE.rows if row.returns and row.returns != "self"}
    with_rows = {row.call.rsplit(".", 1)[0] for row in TABLE.rows}
    plain = TABLE.iterables | TABLE.numbers | set(TABLE.subscripts) | {"datetime.datetime", "subprocess.CompletedProcess"}
    assert sorted(returned - with_rows - plain) == []


@pytest.mark.parametrize(("call", "raises"), [
    ("int", ("ValueError", "TypeError")),
    ("float", ("ValueError", "TypeError")),
    ("open", ("OSError",)),
    ("os.listdir", ("OSError",)),
    ("pathlib.Path.read_text", ("OSError", "UnicodeDecodeError")),
    ("socket.socket.recv", ("OSError",)),
    ("socket.socket.send", ("OSError",)),
    ("zmq.Socket.recv", ("zmq.ZMQError",)),
    ("zmq.Socket.send_multipart", ("zmq.ZMQError",)),
    ("yaml.safe_load", ("yaml.YAMLError",)),
    ("requests.get", ("requests.RequestException",)),
    ("asyncio.wait_for", ("asyncio.TimeoutError",)),
    ("importlib.import_module", ("ImportError",)),
    ("<import>", ("ImportError",)),
    ("torch.cuda.device_count", ("RuntimeError",)),
    ("os.path.join", ()),
    ("print", ()),
])
def test_the_rows_the_issue_asks_for(call: str, raises: tuple[str, ...]) -> None:
    assert _raises(call) == raises


def test_conditions_pick_the_row() -> None:
    assert _raises("json.loads", CallShape(args=(("lit", "str"),)), "str") == ("json.JSONDecodeError",)
    assert _raises("json.loads", CallShape(args=(("unknown",),))) == ("json.JSONDecodeError", "UnicodeDecodeError")
    assert _raises("subprocess.run") == ("OSError",)
    assert _raises("subprocess.run", CallShape(keywords=(("check", "true"),))) == (
        "subprocess.CalledProcessError", "OSError")
    assert _raises("subprocess.run", CallShape(keywords=(("check", "false"),))) == ("OSError",)
    assert _raises("subprocess.run", CallShape(keywords=(("check", "expr"), ("timeout", "literal")))) == (
        "subprocess.CalledProcessError", "subprocess.TimeoutExpired", "OSError")
    assert _raises("queue.Queue.get") == ()
    assert _raises("queue.Queue.get", CallShape(keywords=(("timeout", "literal"),))) == ("queue.Empty",)
    assert _raises("queue.Queue.get", CallShape(keywords=(("timeout", "none"),))) == ()
    assert _raises("zmq.Socket.send", CallShape(mentions=("NOBLOCK", "zmq"))) == ("zmq.Again", "zmq.ZMQError")
    assert _raises("time.sleep", CallShape(args=(("lit", "float"),), literal_args=True)) == ()
    assert _raises("time.sleep", CallShape(args=(("unknown",),))) == ("ValueError",)
    assert _raises("getattr", CallShape(args=(("unknown",),) * 3)) == ()
    assert _raises("getattr", CallShape(args=(("unknown",),) * 2)) == ("AttributeError",)


def test_unpredictable_calls_are_marked_not_left_to_a_wider_row() -> None:
    row = TABLE.find("zmq.Socket.recv_pyobj", CallShape(), lambda: None)
    assert row is not None and row.unproven


def test_repository_rows_come_first_and_can_declare_exceptions() -> None:
    table = load_table([
        {"call": "zmq.Socket.recv", "raises": ["zmq.Again"], "note": "every socket here has RCVTIMEO set"},
        {"call": "mylib.client.fetch", "raises": ["mylib.FetchError"], "returns": "mylib.Reply"},
        {"exception": "mylib.FetchError", "base": "OSError", "import": "mylib"},
    ])
    assert table.find("zmq.Socket.recv", CallShape(), lambda: None).raises == ("zmq.Again",)
    assert table.find("mylib.client.fetch", CallShape(), lambda: None).origin == "[tool.analyzer] raises"
    assert table.base_of("mylib.FetchError") == "OSError"
    assert table.returns("mylib.client.fetch") == "mylib.Reply"
    assert load_table() is TABLE  # the built-in table is not changed by a repository's rows


@pytest.mark.parametrize(("rows", "message"), [
    ({"call": "x"}, "must be a list of tables"),
    ([{"call": "x.y", "raises": ["E"], "rasies": []}], "unknown key rasies"),
    ([{"call": "x.y"}], "give either raises"),
    ([{"call": "x.y", "raises": "ValueError"}], "raises must be a list of names"),
    ([{"call": "x.*.y", "raises": []}], "call must be a dotted name"),
    ([{"call": "x.y", "raises": [], "when": {"keyword": ["check"]}}], "when takes"),
    ([{"exception": "NoDot"}], "an exception row takes"),
])
def test_malformed_repository_rows_are_refused_with_the_row_named(rows, message: str) -> None:
    with pytest.raises(TableError, match=message) as raised:
        load_table(rows)
    assert "[tool.analyzer] raises" in str(raised.value)


def test_the_table_file_parses_and_documents_its_keys() -> None:
    text = TABLE_PATH.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert set(data) == {"iterables", "iteration", "numbers", "subscripts", "exceptions", "aliases", "attributes",
                         "calls"}
    for key in ("call:", "when:", "raises:", "unproven:", "returns:", "consumes:", "source:"):
        assert f"#   {key}" in text
