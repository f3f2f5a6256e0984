"""Work done per request that should be done once: model loads, N+1 queries, GPU memory.

One extractor fills three fact lists and the module's GPU traits in one pass:

- `model_loads`: heavy model loads (`spacy.load`, `*.from_pretrained`, ...), with
  whether they run once (module level, `__init__`, setup-named or cached functions),
  in a loop or in a request handler;
- `db_calls`: database calls (asyncpg `fetch*`/`execute`, DB-API `cursor.execute`,
  SQLAlchemy `session.execute`) with the line of the loop they run in;
- `hygiene`: `print()` outside the `__main__` guard and `asyncio.get_event_loop()`
  outside an `async def`;
- traits: a `torch.no_grad()`/`inference_mode()` guard, a `del` in a function, and the
  first CUDA move (from `cuda_calls`) in a per-request function.
"""

from __future__ import annotations

import re

import libcst as cst

from analyzer.extract.base import Example, Extractor, function_scope_of
from analyzer.extract.definitions import _is_main_guard
from analyzer.extract.walker import Scope, child_nodes, dotted_name
from analyzer.facts import DbCallFact, HygieneFact, ModelLoadFact

# Exact callees that load a model; `.from_pretrained` on anything is one too.
MODEL_LOADERS = frozenset({
    "spacy.load", "whisper.load_model", "torch.load", "torch.jit.load", "joblib.load",
    "SentenceTransformer", "sentence_transformers.SentenceTransformer", "CrossEncoder",
    "sentence_transformers.CrossEncoder", "transformers.pipeline", "WhisperModel", "faster_whisper.WhisperModel",
    "keras.models.load_model", "tf.keras.models.load_model", "tensorflow.keras.models.load_model",
    "stanza.Pipeline", "fasttext.load_model", "TTS",
})
PIPELINE_MODULES = frozenset({"transformers"})
# A function whose own name says it runs once: setup, load*, init*, warmup, _load*, startup...
SETUP_NAME_RE = re.compile(r"^_*(init|setup|set_up|load|warm_?up|preload|startup|on_startup|lifespan|post_init|enter|aenter)")
CACHE_DECORATORS = frozenset({"lru_cache", "cache", "cached_property", "cached", "functools.lru_cache", "functools.cache",
                              "functools.cached_property"})
HANDLER_NAME_RE = re.compile(r"^_*(handle|on_|process|serve|predict|infer|respond|dispatch|callback)|(_handler|_callback|_endpoint)$|^__call__$")
ROUTE_VERBS = frozenset({"get", "post", "put", "delete", "patch", "route", "api_route", "websocket"})
DB_METHODS = frozenset({"fetch", "fetchrow", "fetchval", "execute", "executemany"})
DB_RECEIVER_RE = re.compile(r"^_*(\w+_)?(conn|connection|con|cur|cursor|db|database|session|sess|pool|tx|txn|transaction|engine)s?$", re.I)
GUARD_CALLS = frozenset({"torch.no_grad", "torch.inference_mode", "no_grad", "inference_mode", "torch.set_grad_enabled"})
EVENT_LOOP_GETTERS = frozenset({"asyncio.get_event_loop", "get_event_loop"})
CUDA_MOVES = frozenset({"cuda_method", "to_cuda", "device_arg"})
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def is_setup_function(qualname: str) -> bool:
    """Module level, or a function (or one it is nested in) named like setup/load/init/warmup."""
    if not qualname:
        return True
    return any(SETUP_NAME_RE.match(part) for part in qualname.split("."))


def _decorator_name(decorator: cst.Decorator) -> str:
    target = decorator.decorator
    return dotted_name(target.func if isinstance(target, cst.Call) else target)


def _receiver_name(func: cst.Attribute) -> str:
    """Last name of a method call's receiver: `self.db` -> db, `conn.cursor()` -> cursor."""
    value = func.value
    if isinstance(value, cst.Call):
        value = value.func
    if isinstance(value, cst.Attribute):
        return value.attr.value
    return value.value if isinstance(value, cst.Name) else ""


def _calls_in(node: cst.CSTNode) -> list[cst.Call]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            found.append(current)
        stack.extend(child_nodes(current))
    return found


class HotPathExtractor(Extractor):
    facts_field = "model_loads"
    EXAMPLES = [
        Example("class A:\n    def handle_request(self, text):\n        nlp = spacy.load('en_core_web_sm')\n",
                [{"call": "spacy.load", "function": "A.handle_request", "setup": False, "handler": True, "loop_line": 0}]),
        Example("def run(names):\n    for name in names:\n        m = AutoModel.from_pretrained(name)\n",
                [{"call": "AutoModel.from_pretrained", "setup": False, "loop_line": 2, "line": 3}]),
        Example("from transformers import pipeline\ndef answer(q):\n    return pipeline('qa')(q)\n",
                [{"call": "pipeline", "setup": False}]),
        Example("class A:\n    def __init__(self):\n        self.m = SentenceTransformer('x')\n"
                "    def _load_whisper(self):\n        self.w = whisper.load_model('base')\n",
                [{"call": "SentenceTransformer", "setup": True}, {"call": "whisper.load_model", "setup": True}]),
        Example("model = torch.load('m.pt')\n@lru_cache\ndef tokenizer():\n    return AutoTokenizer.from_pretrained('t')\n",
                [{"call": "torch.load", "setup": True, "function": ""}, {"call": "AutoTokenizer.from_pretrained", "setup": True}]),
        Example("def pipeline(x):\n    return x\ndef f():\n    pipeline(1)\n    yaml.load(s)\n    json.load(f)\n", []),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.async_functions: set[str] = set()
        self.cached_functions: set[str] = set()
        self.handler_functions: set[str] = set()
        self.loop_lines: dict[tuple[str, int], int] = {}
        self.awaited: set[int] = set()
        self.in_comprehension: set[int] = set()
        self.main_guard_calls: set[int] = set()
        self.transformers_pipeline = False

    # --- where a call sits ----------------------------------------------------

    def on_FunctionDef(self, node: cst.FunctionDef, scope: Scope) -> None:
        qualname = function_scope_of(node, scope).function
        if node.asynchronous is not None:
            self.async_functions.add(qualname)
        for decorator in node.decorators:
            name = _decorator_name(decorator)
            last = name.rsplit(".", 1)[-1]
            if name in CACHE_DECORATORS or last in CACHE_DECORATORS:
                self.cached_functions.add(qualname)
            elif last in ROUTE_VERBS and "." in name:
                self.handler_functions.add(qualname)
            elif name in GUARD_CALLS:
                self.context.facts.inference_guard = True

    def on_For(self, node: cst.For, scope: Scope) -> None:
        # Pre-order walk: the last loop seen one level up in the same function encloses what follows.
        self.loop_lines[(scope.function, scope.loop_depth)] = self.context.line_of(node)

    def on_While(self, node: cst.While, scope: Scope) -> None:
        self.loop_lines[(scope.function, scope.loop_depth)] = self.context.line_of(node)

    def _comprehension(self, node, scope: Scope) -> None:
        parts = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
        for part in parts:
            self.in_comprehension.update(id(call) for call in _calls_in(part))

    on_ListComp = on_SetComp = on_GeneratorExp = on_DictComp = _comprehension

    def on_Await(self, node: cst.Await, scope: Scope) -> None:
        if isinstance(node.expression, cst.Call):
            self.awaited.add(id(node.expression))

    def on_If(self, node: cst.If, scope: Scope) -> None:
        if not scope.function and not scope.class_name and _is_main_guard(node.test):
            self.main_guard_calls.update(id(call) for call in _calls_in(node.body))

    def on_Del(self, node: cst.Del, scope: Scope) -> None:
        if scope.function:
            self.context.facts.frees_tensors = True

    def on_ImportFrom(self, node: cst.ImportFrom, scope: Scope) -> None:
        module = dotted_name(node.module) if node.module is not None else ""
        if module.split(".")[0] in PIPELINE_MODULES and not isinstance(node.names, cst.ImportStar):
            if any(dotted_name(alias.name) == "pipeline" for alias in node.names):
                self.transformers_pipeline = True

    # --- the calls ---------------------------------------------------------------

    def _loop_line(self, node: cst.Call, scope: Scope, line: int) -> int:
        if scope.loop_depth:
            return self.loop_lines.get((scope.function, scope.loop_depth - 1), 0)
        return line if id(node) in self.in_comprehension else 0

    def on_Call(self, node: cst.Call, scope: Scope) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in DB_METHODS and DB_RECEIVER_RE.match(_receiver_name(func)):
                self._db_call(node, scope, method)
                return
            callee = dotted_name(func)
            if method == "from_pretrained" or callee in MODEL_LOADERS:
                self._model_load(node, scope, callee or self.context.code(func))
            elif callee in GUARD_CALLS:
                self.context.facts.inference_guard = True
            elif callee in EVENT_LOOP_GETTERS:
                self._event_loop(node, scope, callee)
        elif isinstance(func, cst.Name):
            name = func.value
            if name in MODEL_LOADERS or (name == "pipeline" and self.transformers_pipeline):
                self._model_load(node, scope, name)
            elif name == "print":
                if id(node) not in self.main_guard_calls:
                    self.context.facts.hygiene.append(HygieneFact(self.context.line_of(node), "print", name, scope.function))
            elif name in GUARD_CALLS:
                self.context.facts.inference_guard = True
            elif name in EVENT_LOOP_GETTERS:
                self._event_loop(node, scope, name)

    def _model_load(self, node: cst.Call, scope: Scope, callee: str) -> None:
        line = self.context.line_of(node)
        function = scope.function
        setup = function in self.cached_functions or is_setup_function(function)
        handler = function in self.handler_functions or bool(HANDLER_NAME_RE.search(function.rsplit(".", 1)[-1]))
        self.context.facts.model_loads.append(
            ModelLoadFact(line, callee, function, setup, self._loop_line(node, scope, line), handler and not setup)
        )

    def _db_call(self, node: cst.Call, scope: Scope, method: str) -> None:
        line = self.context.line_of(node)
        callee = dotted_name(node.func) or f"{_receiver_name(node.func)}.{method}"  # type: ignore[arg-type]
        self.context.facts.db_calls.append(
            DbCallFact(line, callee, scope.function, self._loop_line(node, scope, line), id(node) in self.awaited)
        )

    def _event_loop(self, node: cst.Call, scope: Scope, callee: str) -> None:
        if scope.function not in self.async_functions:
            self.context.facts.hygiene.append(HygieneFact(self.context.line_of(node), "get_event_loop", callee, scope.function))

    def finish(self) -> None:
        facts = self.context.facts
        moves = [c.line for c in facts.cuda_calls
                 if c.kind in CUDA_MOVES and not (c.function in self.cached_functions or is_setup_function(c.function))]
        facts.request_cuda_line = min(moves, default=0)


class DbCallExamples(Extractor):
    """Examples for the database calls HotPathExtractor records."""

    facts_field = "db_calls"
    EXAMPLES = [
        Example("async def load(conn, ids):\n    for i in ids:\n        row = await conn.fetchrow('SELECT 1 WHERE id=$1', i)\n",
                [{"call": "conn.fetchrow", "loop_line": 2, "awaited": True, "line": 3, "function": "load"}]),
        Example("def save(self, items):\n    cur = self.db.cursor()\n    while items:\n        cur.execute('INSERT', items.pop())\n",
                [{"call": "cur.execute", "loop_line": 3, "awaited": False}]),
        Example("async def f(pool, ids):\n    return [await pool.fetchval('q', i) for i in ids]\n",
                [{"call": "pool.fetchval", "loop_line": 2}]),
        Example("def f(self, ids):\n    return self.session.execute(select(User).where(User.id.in_(ids)))\n",
                [{"call": "self.session.execute", "loop_line": 0}]),
        Example("for job in jobs:\n    executor.execute(job)\n    self.fetch(url)\n    client.fetch(url)\n", []),
    ]


class HygieneExamples(Extractor):
    """Examples for the print and event-loop calls HotPathExtractor records."""

    facts_field = "hygiene"
    EXAMPLES = [
        Example("def handle(msg):\n    print('got', msg)\n", [{"kind": "print", "function": "handle", "line": 2}]),
        Example("def main():\n    loop = asyncio.get_event_loop()\n    loop.run_until_complete(serve())\n",
                [{"kind": "get_event_loop", "call": "asyncio.get_event_loop", "function": "main"}]),
        Example("loop = asyncio.get_event_loop()\n", [{"kind": "get_event_loop", "function": ""}]),
        Example("async def serve():\n    loop = asyncio.get_event_loop()\n"
                "if __name__ == '__main__':\n    print('starting')\n    asyncio.run(serve())\n", []),
    ]
