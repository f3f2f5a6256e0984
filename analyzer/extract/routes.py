"""HTTP routes of FastAPI, Flask and aiohttp apps, whether they change state and what guards them.

A route counts as protected when one of these is visible in its own module:
- a FastAPI dependency on a security scheme (`OAuth2PasswordBearer`, `HTTPBearer`,
  `APIKeyHeader`...), on `Security(...)`, or on a function whose name says auth
  (`verify_token`, `get_current_user`) or that itself depends on one of those,
  as a parameter default, in `Annotated[...]` or in the decorator's `dependencies=[...]`;
- an auth decorator (`@login_required`, `@requires_auth`, `@jwt_required()`...);
- an app-wide guard: `FastAPI(dependencies=[Depends(auth)])`, `app.add_middleware(AuthMiddleware)`,
  an `@app.middleware("http")` / `@app.before_request` / `@web.middleware` function that reads a
  token or an Authorization header, or `web.Application(middlewares=[auth_middleware])`.
Routers defined in one module and mounted behind a guard in another are not followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from analyzer.extract.base import Example, Extractor, function_scope_of
from analyzer.extract.walker import Scope, dotted_name
from analyzer.facts import RouteFact

FRAMEWORKS = {"fastapi": "fastapi", "starlette": "fastapi", "flask": "flask", "quart": "flask", "aiohttp": "aiohttp"}
VERBS = frozenset({"get", "post", "put", "delete", "patch", "head", "options"})
STATE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
STATE_WORDS = frozenset({"reload", "shutdown", "restart", "admin", "delete", "remove", "kill", "reset", "stop",
                         "purge", "drop", "terminate", "exec"})
AUTH_NAME_RE = re.compile(r"auth|login|token|jwt|api_?key|credential|permission|current_user|verify|bearer|oauth|signature",
                          re.I)
SECURITY_SCHEMES = frozenset({
    "OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer", "OAuth2", "OpenIdConnect", "HTTPBearer", "HTTPBasic",
    "HTTPDigest", "APIKeyHeader", "APIKeyQuery", "APIKeyCookie",
})
MIDDLEWARE_DECORATORS = frozenset({"middleware", "before_request", "before_app_request"})
# What a hand-written middleware reads when it checks a caller.
GUARD_BODY_RE = re.compile(r"authori[sz]ation|token|api[_-]?key|credential|login|auth", re.I)
WORD_RE = re.compile(r"[a-z]+")


@dataclass
class _Route:
    line: int
    framework: str
    methods: tuple[str, ...]
    route: str
    function: str
    handler: str  # the handler function's name, for aiohttp/Flask routes added by call
    dependencies: list[str] = field(default_factory=list)
    decorators: list[str] = field(default_factory=list)


def _string(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _keyword(call: cst.Call, *keywords: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    return None


def _argument(call: cst.Call, position: int, *keywords: str) -> cst.BaseExpression | None:
    """The argument passed by one of `keywords`, else the `position`-th positional one."""
    found = _keyword(call, *keywords)
    if found is not None:
        return found
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    return positional[position] if position < len(positional) else None


def _strings(node: cst.BaseExpression | None) -> tuple[str, ...]:
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return tuple(s.upper() for s in (_string(e.value) for e in node.elements) if s)
    value = _string(node)
    return (value.upper(),) if value else ()


def _depends_targets(node: cst.CSTNode | None) -> list[str]:
    """Names passed to every Depends(...)/Security(...) under `node`; Security marks itself."""
    found: list[str] = []
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            callee = dotted_name(current.func).rsplit(".", 1)[-1]
            if callee in ("Depends", "Security"):
                target = dotted_name(current.args[0].value) if current.args else ""
                found.append("Security" if callee == "Security" else target or "?")
        stack.extend(current.children)
    return found


def _state_changing(methods: tuple[str, ...], route: str, function: str) -> bool:
    if STATE_METHODS.intersection(methods):
        return True
    words = set(WORD_RE.findall(route.lower())) | set(WORD_RE.findall(function.rsplit(".", 1)[-1].lower()))
    return bool(STATE_WORDS & words)


class RouteExtractor(Extractor):
    facts_field = "routes"
    EXAMPLES = [
        Example("from fastapi import FastAPI\napp = FastAPI()\n@app.post('/admin/reload')\ndef reload_models():\n    pass\n",
                [{"framework": "fastapi", "methods": "POST", "route": "/admin/reload", "state_changing": True, "auth": "",
                  "line": 4}]),
        Example("from fastapi import FastAPI, Depends\nfrom fastapi.security import OAuth2PasswordBearer\n"
                "scheme = OAuth2PasswordBearer(tokenUrl='t')\napp = FastAPI()\n"
                "@app.delete('/items/{i}')\nasync def drop(i: int, token: str = Depends(scheme)):\n    pass\n",
                [{"methods": "DELETE", "state_changing": True, "auth": "Depends(scheme)"}]),
        Example("from fastapi import APIRouter, Depends\nrouter = APIRouter()\n"
                "@router.put('/cfg', dependencies=[Depends(verify_api_key)])\ndef put_cfg():\n    pass\n"
                "@router.get('/status')\ndef status(db = Depends(get_db)):\n    pass\n",
                [{"methods": "PUT", "auth": "Depends(verify_api_key)"},
                 {"methods": "GET", "state_changing": False, "auth": ""}]),
        Example("from flask import Flask\nfrom flask_login import login_required\napp = Flask(__name__)\n"
                "@app.route('/users/<int:i>', methods=['POST', 'DELETE'])\n@login_required\ndef user(i):\n    pass\n"
                "@app.route('/shutdown')\ndef shutdown():\n    pass\n",
                [{"framework": "flask", "methods": "POST,DELETE", "auth": "@login_required"},
                 {"methods": "GET", "route": "/shutdown", "state_changing": True, "auth": ""}]),
        Example("from aiohttp import web\nroutes = web.RouteTableDef()\n@routes.post('/reset')\nasync def reset(request):\n    pass\n"
                "async def kill(request):\n    pass\napp = web.Application()\napp.router.add_route('DELETE', '/agents', kill)\n",
                [{"framework": "aiohttp", "methods": "POST", "route": "/reset", "line": 4},
                 {"framework": "aiohttp", "methods": "DELETE", "function": "kill", "line": 9}]),
        Example("from fastapi import FastAPI\napp = FastAPI()\napp.add_middleware(TokenAuthMiddleware)\n"
                "@app.post('/admin/reload')\ndef reload():\n    pass\n",
                [{"auth": "middleware:TokenAuthMiddleware", "state_changing": True}]),
        Example("import click\n@click.command()\ndef delete():\n    pass\ncache = {}\n@cache.get('x')\ndef f():\n    pass\n", []),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.frameworks: list[str] = []
        self.routes: list[_Route] = []
        self.schemes: set[str] = set()
        self.function_dependencies: dict[str, list[str]] = {}  # function name -> Depends targets of its params
        self.function_decorators: dict[str, list[str]] = {}
        self.app_guard = ""  # a middleware that checks callers
        self.app_dependencies: list[str] = []  # FastAPI(dependencies=...), APIRouter(...), include_router(...)

    def _framework(self) -> str:
        return self.frameworks[0] if self.frameworks else ""

    def on_Import(self, node: cst.Import, scope: Scope) -> None:
        for alias in node.names:
            self._saw_module(dotted_name(alias.name))

    def on_ImportFrom(self, node: cst.ImportFrom, scope: Scope) -> None:
        if node.module is not None and not node.relative:
            self._saw_module(dotted_name(node.module))

    def _saw_module(self, name: str) -> None:
        framework = FRAMEWORKS.get(name.split(".")[0])
        if framework and framework not in self.frameworks:
            self.frameworks.append(framework)

    def on_Assign(self, node: cst.Assign, scope: Scope) -> None:
        value = node.value
        if self.frameworks and isinstance(value, cst.Call) and dotted_name(value.func).rsplit(".", 1)[-1] in SECURITY_SCHEMES:
            for target in node.targets:
                name = dotted_name(target.target)
                if name:
                    self.schemes.add(name.rsplit(".", 1)[-1])

    def on_FunctionDef(self, node: cst.FunctionDef, scope: Scope) -> None:
        if not self.frameworks:  # web frameworks are imported at the top, before any route or dependency
            return
        name = node.name.value
        params = node.params
        dependencies = []
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
            dependencies += _depends_targets(param.default) + _depends_targets(param.annotation)
        self.function_dependencies.setdefault(name, []).extend(dependencies)
        decorators = [_decorator_text(d) for d in node.decorators]
        self.function_decorators.setdefault(name, []).extend(decorators)
        qualname = function_scope_of(node, scope).function
        for decorator in node.decorators:
            target = decorator.decorator
            call = target if isinstance(target, cst.Call) else None
            func = call.func if call is not None else target
            if not isinstance(func, cst.Attribute):
                continue
            verb = func.attr.value
            if verb in MIDDLEWARE_DECORATORS and self._guards(node, name):
                self.app_guard = self.app_guard or f"middleware:{name}"
            if call is None:
                continue
            route = self._decorated_route(call, verb)
            if route is not None:
                methods, path, extra = route
                self.routes.append(_Route(self.context.line_of(node), self._framework(), methods, path, qualname, name,
                                          dependencies + extra, decorators))

    def _guards(self, node: cst.FunctionDef, name: str) -> bool:
        return bool(AUTH_NAME_RE.search(name) or GUARD_BODY_RE.search(self.context.code(node.body)))

    def _decorated_route(self, call: cst.Call, verb: str):
        framework = self._framework()
        extra = _depends_targets(_keyword(call, "dependencies"))
        if verb in VERBS:
            return (verb.upper(),), _string(_argument(call, 0, "path", "rule")) or "", extra
        if verb == "route" and framework == "aiohttp":
            return _strings(_argument(call, 0, "method")) or ("GET",), _string(_argument(call, 1, "path")) or "", extra
        if verb in ("route", "api_route"):
            methods = _strings(_keyword(call, "methods")) or ("GET",)
            return methods, _string(_argument(call, 0, "path", "rule")) or "", extra
        return None

    def on_Call(self, node: cst.Call, scope: Scope) -> None:
        if not self.frameworks:
            return
        func = node.func
        callee = dotted_name(func)
        last = callee.rsplit(".", 1)[-1]
        if last in ("FastAPI", "APIRouter", "include_router"):
            # Router- and app-wide dependencies guard every route of the module (routers are not told apart).
            self.app_dependencies += _depends_targets(_keyword(node, "dependencies"))
        elif last == "add_middleware" and node.args:
            middleware = dotted_name(node.args[0].value).rsplit(".", 1)[-1]
            if AUTH_NAME_RE.search(middleware):
                self.app_guard = self.app_guard or f"middleware:{middleware}"
        elif last == "Application" and self._framework() == "aiohttp":
            for name in _names(_keyword(node, "middlewares")):
                if AUTH_NAME_RE.search(name):
                    self.app_guard = self.app_guard or f"middleware:{name}"
        elif isinstance(func, cst.Attribute):
            self._route_by_call(node, func.attr.value)

    def _route_by_call(self, node: cst.Call, method: str) -> None:
        """aiohttp `router.add_post(path, handler)`, `add_route(METHOD, path, handler)`, `web.post(path, handler)`;
        Flask `app.add_url_rule(rule, endpoint, view_func, methods=[...])`."""
        framework = self._framework()
        methods: tuple[str, ...]
        if framework == "aiohttp" and method.startswith("add_") and method[4:] in VERBS:
            methods, path, handler = (method[4:].upper(),), _argument(node, 0, "path"), _argument(node, 1, "handler")
        elif framework == "aiohttp" and method == "add_route":
            methods, path, handler = _strings(_argument(node, 0, "method")), _argument(node, 1, "path"), _argument(node, 2, "handler")
        elif framework == "aiohttp" and method in VERBS and dotted_name(node.func) == f"web.{method}":
            methods, path, handler = (method.upper(),), _argument(node, 0, "path"), _argument(node, 1, "handler")
        elif framework == "flask" and method == "add_url_rule":
            methods = _strings(_keyword(node, "methods")) or ("GET",)
            path, handler = _argument(node, 0, "rule"), _argument(node, 2, "view_func")
        else:
            return
        name = dotted_name(handler).rsplit(".", 1)[-1] if handler is not None else ""
        self.routes.append(_Route(self.context.line_of(node), framework, methods, _string(path) or "", name, name))

    def _is_auth_target(self, name: str, seen: set[str]) -> bool:
        """A dependency that authenticates: Security, a scheme, an auth-named function, or one depending on those."""
        if name == "Security" or name in self.schemes or AUTH_NAME_RE.search(name):
            return True
        if name in seen:
            return False
        seen.add(name)
        return any(self._is_auth_target(d, seen) for d in self.function_dependencies.get(name, ()))

    def _auth(self, route: _Route) -> str:
        # Routes added by a call (aiohttp, add_url_rule) take their handler's parameters and decorators.
        for target in route.dependencies or self.function_dependencies.get(route.handler, []):
            if self._is_auth_target(target, set()):
                return "Security(...)" if target == "Security" else f"Depends({target})"
        for decorator in route.decorators or self.function_decorators.get(route.handler, []):
            if AUTH_NAME_RE.search(decorator):
                return f"@{decorator}"
        for target in self.app_dependencies:
            if self._is_auth_target(target, set()):
                return f"Depends({target})"
        return self.app_guard

    def finish(self) -> None:
        for route in self.routes:
            self.context.facts.routes.append(RouteFact(
                route.line, route.framework, ",".join(route.methods), route.route, route.function,
                _state_changing(route.methods, route.route, route.function), self._auth(route),
            ))


def _decorator_text(decorator: cst.Decorator) -> str:
    target = decorator.decorator
    return dotted_name(target.func if isinstance(target, cst.Call) else target).rsplit(".", 1)[-1]


def _names(node: cst.BaseExpression | None) -> list[str]:
    if isinstance(node, (cst.List, cst.Tuple)):
        return [dotted_name(e.value).rsplit(".", 1)[-1] for e in node.elements]
    return []
