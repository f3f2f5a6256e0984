"""Typed ZeroMQ request/reply: pydantic messages, Lazy Pirate retries, CURVE.

    class Translate(BaseModel):
        text: str

    class Translated(BaseModel):
        text: str

    server = RepServer("TRANSLATOR_REP", lambda req: Translated(text=req.text.upper()), Translate).start()
    client = ReqClient("TRANSLATOR_REP", Translated, timeout=2.0, retries=3)
    client.request(Translate(text="hallo")).text   # -> "HALLO"

An address is a name from config/ports.yaml (runtime.ports) or an explicit endpoint
such as ``tcp://127.0.0.1:5563``. On the wire each message is two frames, a kind and a
JSON body: REQ/PING from the client, REP/ERR/PONG from the server.

Client (Lazy Pirate): each request waits ``timeout`` seconds; on silence the REQ
socket is closed and reopened (a REQ socket that lost its reply cannot send again) and
the request is sent again, ``retries`` times at most, then RequestTimeout. A handler
error on the server comes back as RemoteError. Sockets use LINGER=0, RECONNECT_IVL /
RECONNECT_IVL_MAX back-off and ZMTP heartbeats; ``ping()`` is an application-level
heartbeat that the server answers without calling the handler.

CURVE: ``create_certificates(dir, name)`` writes a key pair. The server takes its
secret key file and a directory of authorised client public keys (None: any client
that knows the server key); the client takes its secret key file and the server's
public key file. A client with an unknown key, or the wrong server key, never gets a
reply: its requests end in RequestTimeout.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
import zmq.auth
from pydantic import BaseModel, TypeAdapter, ValidationError

from runtime import ports

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 2.5  # seconds per attempt
DEFAULT_RETRIES = 3  # attempts after the first

# Options set on every socket; override per client/server with ``options=``.
DEFAULT_OPTIONS: dict[str, int] = {
    "LINGER": 0,  # never block close() or process exit on unsent messages
    "RECONNECT_IVL": 100,  # ms before the first reconnect ...
    "RECONNECT_IVL_MAX": 5000,  # ... doubling up to this (exponential back-off)
    "HEARTBEAT_IVL": 1000,  # ZMTP PING every second
    "HEARTBEAT_TIMEOUT": 3000,  # peer silent this long: drop the connection and reconnect
    "HEARTBEAT_TTL": 3000,
}

KIND_REQUEST, KIND_PING = b"REQ", b"PING"
KIND_REPLY, KIND_ERROR, KIND_PONG = b"REP", b"ERR", b"PONG"


class RequestTimeout(TimeoutError):
    def __init__(self, endpoint: str, attempts: int, timeout: float, curve: bool = False) -> None:
        self.endpoint, self.attempts, self.timeout = endpoint, attempts, timeout
        hint = "; with CURVE on, check the client key is authorised and the server key is right" if curve else ""
        super().__init__(f"no reply from {endpoint} after {attempts} attempt(s) of {timeout:g}s{hint}")


class RemoteError(RuntimeError):
    """The server's handler raised, or the server could not read the request."""

    def __init__(self, error_type: str, message: str) -> None:
        self.error_type, self.message = error_type, message
        super().__init__(f"{error_type}: {message}")


@dataclass(frozen=True)
class CurveServerKeys:
    secret_file: Path  # the server's .key_secret file
    authorized_clients: Path | None = None  # directory of client .key files; None: any client


@dataclass(frozen=True)
class CurveClientKeys:
    secret_file: Path  # the client's .key_secret file
    server_public_file: Path  # the server's .key file


def create_certificates(directory: Path | str, name: str) -> tuple[Path, Path]:
    """Write ``name.key`` (public) and ``name.key_secret`` into ``directory``; returns both paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    public_file, secret_file = zmq.auth.create_certificates(str(directory), name)
    return Path(public_file), Path(secret_file)


def _apply_options(socket: zmq.Socket, options: Mapping[str, int] | None) -> None:
    for name, value in {**DEFAULT_OPTIONS, **(options or {})}.items():
        socket.setsockopt(getattr(zmq, name), value)


def _encode(message: Any) -> bytes:
    if isinstance(message, BaseModel):
        return message.model_dump_json().encode()
    return TypeAdapter(type(message)).dump_json(message)


def _error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"type": error_type, "message": message}).encode()


def resolve_endpoint(address: str, host: str, registry: ports.PortRegistry | None = None) -> str:
    """An explicit endpoint as is; a port name through runtime.ports."""
    return address if "://" in address else ports.endpoint(address, host=host, registry=registry)


# ---------------------------------------------------------------- server


class RepServer:
    """A REP server that validates requests into ``request_type`` and replies with the handler's result."""

    def __init__(
        self,
        address: str,
        handler: Callable[[Any], Any],
        request_type: Any,
        *,
        host: str = "*",
        curve: CurveServerKeys | None = None,
        registry: ports.PortRegistry | None = None,
        options: Mapping[str, int] | None = None,
        poll_interval: float = 0.05,
    ) -> None:
        self.address, self.host, self.registry = address, host, registry
        self.handler = handler
        self.request_adapter = TypeAdapter(request_type)
        self.curve = curve
        self.options = options
        self.poll_interval = poll_interval
        self.endpoint: str | None = None
        self.handled = 0
        self._context = zmq.Context()  # own context: the authenticator is per context
        self._auth: Any = None
        self._socket: zmq.Socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def bind(self) -> str:
        """Bind now (in the calling thread); returns the bound endpoint (real port if ``:*`` or 0)."""
        if self._socket is not None:
            return self.endpoint or ""
        socket = self._context.socket(zmq.REP)
        _apply_options(socket, self.options)
        if self.curve is not None:
            self._setup_curve(socket, self.curve)
        try:
            self._bind(socket)
        except BaseException:
            socket.close(linger=0)
            raise
        self._socket = socket
        self.endpoint = socket.getsockopt_string(zmq.LAST_ENDPOINT)
        return self.endpoint

    def _bind(self, socket: zmq.Socket) -> None:
        if "://" not in self.address:
            ports.bind(socket, self.address, host=self.host, registry=self.registry)
            return
        try:
            socket.bind(self.address)
        except zmq.ZMQError as exc:
            if exc.errno != zmq.EADDRINUSE:
                raise
            port = int(self.address.rsplit(":", 1)[1])
            raise ports.PortInUseError(port, None, None, self.address) from exc

    def _setup_curve(self, socket: zmq.Socket, keys: CurveServerKeys) -> None:
        from zmq.auth.thread import ThreadAuthenticator

        self._auth = ThreadAuthenticator(self._context)
        self._auth.start()
        location = str(keys.authorized_clients) if keys.authorized_clients else zmq.auth.CURVE_ALLOW_ANY
        self._auth.configure_curve(domain="*", location=location)
        public, secret = zmq.auth.load_certificate(str(keys.secret_file))
        socket.curve_publickey, socket.curve_secretkey = public, secret
        socket.curve_server = True

    # ------------------------------------------------------------ serving

    def serve_once(self, timeout: float | None = None) -> bool:
        """Answer one request if one arrives within ``timeout`` seconds; True if one was answered."""
        socket = self._socket
        if socket is None:
            raise RuntimeError("bind() the server before serving")
        wait_ms = None if timeout is None else int(timeout * 1000)
        if not socket.poll(wait_ms, zmq.POLLIN):
            return False
        frames = socket.recv_multipart()
        reply = self._answer(frames)
        # Counted before the reply leaves, so a client that has its answer sees the count.
        self.handled += 1
        socket.send_multipart(reply)
        return True

    def _answer(self, frames: list[bytes]) -> list[bytes]:
        if frames[:1] == [KIND_PING]:
            return [KIND_PONG, b""]
        if len(frames) != 2 or frames[0] != KIND_REQUEST:
            return [KIND_ERROR, _error_body("ProtocolError", f"expected [REQ, body], got {len(frames)} frame(s)")]
        try:
            request = self.request_adapter.validate_json(frames[1])
        except ValidationError as exc:
            return [KIND_ERROR, _error_body("ValidationError", str(exc))]
        try:
            reply = self.handler(request)
        except Exception as exc:  # analyzer: ignore[broad-except] - a REP socket must answer every request; the client gets RemoteError
            logger.exception("handler for %s failed", self.endpoint)
            return [KIND_ERROR, _error_body(type(exc).__name__, str(exc))]
        return [KIND_REPLY, _encode(reply)]

    def serve_forever(self) -> None:
        self.bind()
        while not self._stop.is_set():
            self.serve_once(self.poll_interval)

    def start(self) -> RepServer:
        """Bind in the calling thread (errors surface here), then serve on a daemon thread."""
        self.bind()
        self._stop.clear()
        self._thread = threading.Thread(target=self.serve_forever, name=f"rep-server {self.endpoint}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and close the socket (the port is free again afterwards)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.close()

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
        if self._auth is not None:
            self._auth.stop()
            self._auth = None
        if not self._context.closed:
            self._context.term()

    def __enter__(self) -> RepServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------- client


class ReqClient:
    """A REQ client with Lazy Pirate retries; thread-safe (requests are serialised)."""

    def __init__(
        self,
        address: str,
        reply_type: Any = dict,
        *,
        host: str = "127.0.0.1",
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        curve: CurveClientKeys | None = None,
        registry: ports.PortRegistry | None = None,
        options: Mapping[str, int] | None = None,
        context: zmq.Context | None = None,
    ) -> None:
        self.endpoint = resolve_endpoint(address, host, registry)
        self.reply_adapter = TypeAdapter(reply_type)
        self.timeout, self.retries = timeout, retries
        self.curve = curve
        self.options = options
        self.last_attempts = 0
        self._context = context or zmq.Context.instance()
        self._socket: zmq.Socket | None = None
        self._lock = threading.Lock()

    def _open(self) -> zmq.Socket:
        socket = self._context.socket(zmq.REQ)
        _apply_options(socket, self.options)
        if self.curve is not None:
            public, secret = zmq.auth.load_certificate(str(self.curve.secret_file))
            server_public, _ = zmq.auth.load_certificate(str(self.curve.server_public_file))
            socket.curve_publickey, socket.curve_secretkey = public, secret
            socket.curve_serverkey = server_public
        socket.connect(self.endpoint)
        return socket

    def _discard_socket(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def _exchange(self, frames: list[bytes], timeout: float | None, retries: int | None) -> list[bytes]:
        timeout = self.timeout if timeout is None else timeout
        attempts = 1 + (self.retries if retries is None else retries)
        with self._lock:
            for attempt in range(1, attempts + 1):
                self._socket = self._socket or self._open()
                self._socket.send_multipart(frames)
                if self._socket.poll(int(timeout * 1000), zmq.POLLIN):
                    self.last_attempts = attempt
                    return self._socket.recv_multipart()
                # A REQ socket waiting for a lost reply cannot send again: close it, open a fresh one.
                self._discard_socket()
                logger.warning("no reply from %s in %gs (attempt %d of %d)", self.endpoint, timeout, attempt, attempts)
            self.last_attempts = attempts
        raise RequestTimeout(self.endpoint, attempts, timeout, curve=self.curve is not None)

    def request(self, message: Any, timeout: float | None = None, retries: int | None = None) -> Any:
        """Send ``message`` and return the reply validated into ``reply_type``."""
        kind, body = self._exchange([KIND_REQUEST, _encode(message)], timeout, retries)
        if kind == KIND_ERROR:
            error = json.loads(body)
            raise RemoteError(error.get("type", "Error"), error.get("message", ""))
        if kind != KIND_REPLY:
            raise RemoteError("ProtocolError", f"unexpected reply kind {kind!r}")
        return self.reply_adapter.validate_json(body)

    def ping(self, timeout: float | None = None, retries: int = 0) -> float:
        """Round-trip seconds of an application heartbeat; RequestTimeout if the server is silent."""
        started = time.perf_counter()
        kind, _ = self._exchange([KIND_PING, b""], timeout, retries)
        if kind != KIND_PONG:
            raise RemoteError("ProtocolError", f"unexpected reply kind {kind!r} to PING")
        return time.perf_counter() - started

    def close(self) -> None:
        with self._lock:
            self._discard_socket()

    def __enter__(self) -> ReqClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
