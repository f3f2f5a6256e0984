"""Typed ZeroMQ request/reply: pydantic messages, Lazy Pirate retries, a reply cache, CURVE.

    class Translate(BaseModel):
        text: str

    class Translated(BaseModel):
        text: str

    server = RepServer("TRANSLATOR_REP", lambda req: Translated(text=req.text.upper()), Translate).start()
    client = ReqClient("TRANSLATOR_REP", Translated, timeout=2.0, retries=3)
    client.request(Translate(text="hallo")).text   # -> "HALLO"

An address is a name from the machine's ports.yaml (agent_runtime.ports) or an explicit
endpoint such as ``tcp://127.0.0.1:5563``. On the wire the client's REQ socket sends
``[REQ, request id, JSON body]`` or ``[PING]``; the server answers ``[REP, body]``,
``[ERR, {"type", "message"}]`` or ``[PONG]``.

Client (Lazy Pirate): each request waits ``timeout`` seconds; on silence the REQ socket
is closed and reopened (a REQ socket that lost its reply cannot send again) and the same
request, with the same id, is sent again, ``retries`` times at most, then RequestTimeout.
Sockets use LINGER=0, RECONNECT_IVL / RECONNECT_IVL_MAX back-off and ZMTP heartbeats;
``ping()`` is an application-level heartbeat the server answers without a handler.

Server: one thread owns the socket (a ROUTER, which REQ clients talk to as to a REP) and
closes it itself; handlers run on ``workers`` other threads (default 1: one request at a
time, in arrival order), so the socket thread answers pings and takes retries while a
handler runs, and ``stop()`` only asks it to stop. Every request the server can decode
gets a reply: the handler's, or ERR when the request does not validate, the handler
fails in any way (an exception, SystemExit, ...) or its reply cannot be serialised.
Messages over ``max_message_bytes`` are dropped by libzmq (MAXMSGSIZE) with the sender's
connection, before any handler sees them; the client refuses to send one.

Retries and the reply cache: the server keeps each reply for ``reply_ttl`` seconds (the
last ``reply_cache_size`` of them) under its request id; a retry of a request that is
still running waits for that run, a retry of a finished one gets the stored reply. So
within one server process a handler runs at most once per request, however often the
client retries; a server restart loses the cache, and a retry that reaches the new
process runs the handler again (at least once, overall). A caller that must never run
a handler twice uses ``retries=0`` (at most once: a RequestTimeout then means "unknown").

CURVE: ``create_certificates(dir, name)`` writes a key pair. The server takes its secret
key file and a directory of authorised client public keys (None: any client that knows
the server key); the client takes its secret key file and the server's public key file.
A key file of the wrong kind or that is not a certificate is a CurveKeyError at once. A
client with an unknown key, or the wrong server key, never gets a reply: its requests
end in RequestTimeout.
"""

from __future__ import annotations

import json
import logging
import queue
import socket as pysocket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
import zmq.auth
from pydantic import BaseModel, TypeAdapter, ValidationError

from agent_runtime import ports

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 2.5  # seconds per attempt
DEFAULT_RETRIES = 3  # attempts after the first
DEFAULT_MAX_MESSAGE_BYTES = 16 << 20
DEFAULT_REPLY_TTL = 60.0  # seconds a reply is kept for retries of its request
DEFAULT_REPLY_CACHE_SIZE = 1024

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
Z85_KEY_LENGTH = 40


class RequestTimeout(TimeoutError):
    def __init__(self, endpoint: str, attempts: int, timeout: float, curve: bool = False) -> None:
        self.endpoint, self.attempts, self.timeout = endpoint, attempts, timeout
        hint = "; with CURVE on, check the client key is authorised and the server key is right" if curve else ""
        super().__init__(f"no reply from {endpoint} after {attempts} attempt(s) of {timeout:g}s{hint}")


class RemoteError(RuntimeError):
    """The server's handler failed, or the server could not read the request."""

    def __init__(self, error_type: str, message: str) -> None:
        self.error_type, self.message = error_type, message
        super().__init__(f"{error_type}: {message}")


class MessageTooLarge(ValueError):
    """A request over the client's ``max_message_bytes``: the server would drop it unanswered."""


class CurveKeyError(ValueError):
    """A CURVE key file is missing, not a certificate, or of the wrong kind."""


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


def load_key_pair(path: Path | str, *, need_secret: bool) -> tuple[bytes, bytes | None]:
    """(public, secret) keys of a certificate file; CurveKeyError says what is wrong with it."""
    path = Path(path)
    try:
        public, secret = zmq.auth.load_certificate(str(path))
    except OSError as error:
        raise CurveKeyError(f"CURVE key file {path} cannot be read: {error.strerror or error}") from None
    except ValueError as error:
        raise CurveKeyError(f"{path} is not a CURVE certificate (create_certificates() writes them): {error}") from None
    for key in (public, secret):
        if key is not None and len(key) != Z85_KEY_LENGTH:
            raise CurveKeyError(f"{path} is not a CURVE certificate: a key is not {Z85_KEY_LENGTH} Z85 characters")
    if need_secret and secret is None:
        raise CurveKeyError(f"{path} holds a public key only; pass the secret key file "
                            f"({path.name}_secret from create_certificates())")
    return public, secret


def _apply_options(socket: zmq.Socket, options: Mapping[str, int] | None) -> None:
    for name, value in {**DEFAULT_OPTIONS, **(options or {})}.items():
        socket.setsockopt(getattr(zmq, name), value)


def _encode(message: Any) -> bytes:
    if isinstance(message, BaseModel):
        return message.model_dump_json().encode()
    return TypeAdapter(type(message)).dump_json(message)


def _error(error_type: str, message: str) -> list[bytes]:
    return [KIND_ERROR, json.dumps({"type": error_type, "message": message}).encode()]


def resolve_endpoint(address: str, host: str, registry: ports.PortRegistry | None = None) -> str:
    """An explicit endpoint as is; a port name through agent_runtime.ports."""
    return address if "://" in address else ports.endpoint(address, host=host, registry=registry)


# ---------------------------------------------------------------- server


class _ReplyCache:
    """Replies by request id for a while, so a retried request is answered without running again."""

    def __init__(self, size: int, ttl: float) -> None:
        self.size, self.ttl = size, ttl
        self._replies: OrderedDict[bytes, tuple[float, list[bytes]]] = OrderedDict()

    def get(self, request_id: bytes) -> list[bytes] | None:
        found = self._replies.get(request_id)
        if found is None:
            return None
        if time.monotonic() - found[0] > self.ttl:
            del self._replies[request_id]
            return None
        return found[1]

    def put(self, request_id: bytes, reply: list[bytes]) -> None:
        self._replies[request_id] = (time.monotonic(), reply)
        self._replies.move_to_end(request_id)
        while len(self._replies) > self.size:
            self._replies.popitem(last=False)


class RepServer:
    """Validates requests into ``request_type`` and replies with the handler's result (see the module doc)."""

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
        workers: int = 1,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        reply_ttl: float = DEFAULT_REPLY_TTL,
        reply_cache_size: int = DEFAULT_REPLY_CACHE_SIZE,
        poll_interval: float = 0.05,
    ) -> None:
        self.address, self.host, self.registry = address, host, registry
        self.handler = handler
        self.request_adapter = TypeAdapter(request_type)
        self.curve = curve
        self.options = {**(options or {}), "MAXMSGSIZE": max_message_bytes}
        self.workers = workers
        self.poll_interval = poll_interval
        self.endpoint: str | None = None
        self.handled = 0
        self.error: BaseException | None = None  # why the socket thread stopped, when it failed
        self._keys = load_key_pair(curve.secret_file, need_secret=True) if curve is not None else None
        if curve is not None and curve.authorized_clients is not None and not Path(curve.authorized_clients).is_dir():
            raise CurveKeyError(f"authorized_clients {curve.authorized_clients} is not a directory of client keys")
        self._cache = _ReplyCache(reply_cache_size, reply_ttl)
        self._waiting: dict[bytes, list[list[bytes]]] = {}  # request id -> envelopes of callers waiting for it
        self._jobs: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue()
        self._finished: queue.Queue[tuple[bytes, list[bytes]]] = queue.Queue()
        self._context: zmq.Context | None = None
        self._auth: Any = None
        self._socket: zmq.Socket | None = None
        self._wake_reader: pysocket.socket | None = None  # handler threads wake the socket thread through these
        self._wake_writer: pysocket.socket | None = None
        self._stop = threading.Event()
        self._closed = threading.Event()
        self._serving = False
        self._grace = 5.0
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ binding (the calling thread)

    def bind(self) -> str:
        """Bind now, in the calling thread (errors surface here); returns the endpoint (the real port for ``:*``)."""
        if self._socket is not None:
            return self.endpoint or ""
        self._context = zmq.Context()  # own context: the authenticator is per context
        socket = self._context.socket(zmq.ROUTER)
        try:
            _apply_options(socket, self.options)
            if self._keys is not None:
                self._setup_curve(socket)
            self._bind(socket)
        except BaseException:  # any failure, KeyboardInterrupt included: release what was made, then re-raise
            socket.close(linger=0)
            self._release_context()
            raise
        self._socket = socket
        self._wake_reader, self._wake_writer = pysocket.socketpair()
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

    def _setup_curve(self, socket: zmq.Socket) -> None:
        from zmq.auth.thread import ThreadAuthenticator

        assert self.curve is not None and self._keys is not None
        self._auth = ThreadAuthenticator(self._context)
        self._auth.start()
        clients = self.curve.authorized_clients
        self._auth.configure_curve(domain="*", location=str(clients) if clients else zmq.auth.CURVE_ALLOW_ANY)
        socket.curve_publickey, socket.curve_secretkey = self._keys
        socket.curve_server = True

    # ------------------------------------------------------------ running

    def start(self) -> RepServer:
        """Bind in the calling thread, then serve on a daemon thread that owns the socket from here on."""
        self.bind()
        self._serving = True
        self._thread = threading.Thread(target=self.serve_forever, name=f"rep-server {self.endpoint}", daemon=True)
        self._thread.start()  # a full memory barrier: the socket moves to the new thread
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop()``; this thread closes the socket at the end."""
        self.bind()
        self._serving = True
        socket = self._socket
        assert socket is not None
        for number in range(self.workers):
            threading.Thread(target=self._work, name=f"rep-handler {self.endpoint} #{number + 1}", daemon=True).start()
        try:
            self._serve(socket)
        except BaseException as error:  # the thread must not end silently: say why, keep it for `error`, re-raise
            self.error = error
            logger.critical("server on %s stopped: %s: %s", self.endpoint, type(error).__name__, error, exc_info=True)
            raise
        finally:
            self._shut(socket)

    def _serve(self, socket: zmq.Socket) -> None:
        poller = zmq.Poller()
        poller.register(socket, zmq.POLLIN)
        assert self._wake_reader is not None
        poller.register(self._wake_reader.fileno(), zmq.POLLIN)
        while not self._stop.is_set():
            self._step(socket, poller, self.poll_interval)
        deadline = time.monotonic() + self._grace
        while self._waiting and time.monotonic() < deadline:  # handlers still running: their replies may go out
            self._step(socket, poller, min(self.poll_interval, max(0.0, deadline - time.monotonic())))
        for envelopes in self._waiting.values():
            for envelope in envelopes:
                socket.send_multipart(envelope + _error(
                    "ServerStopped", "the server stopped before its handler finished; it may still complete"))

    def _step(self, socket: zmq.Socket, poller: zmq.Poller, wait: float) -> None:
        events = dict(poller.poll(int(wait * 1000)))
        if self._wake_reader is not None and self._wake_reader.fileno() in events:
            self._wake_reader.recv(4096)
        self._send_finished(socket)
        if socket in events:
            self._receive(socket)

    def _receive(self, socket: zmq.Socket) -> None:
        frames = socket.recv_multipart()
        if b"" not in frames[:-1]:
            logger.warning("dropped a message without a REQ envelope on %s", self.endpoint)
            return
        split = frames.index(b"") + 1
        envelope, message = frames[:split], frames[split:]
        if message == [KIND_PING]:
            socket.send_multipart([*envelope, KIND_PONG])
            return
        if len(message) != 3 or message[0] != KIND_REQUEST:
            socket.send_multipart(envelope + _error(
                "ProtocolError", f"expected [REQ, request id, body] or [PING], got {len(message)} frame(s)"))
            return
        _, request_id, body = message
        cached = self._cache.get(request_id)
        if cached is not None:  # a retry of a finished request: its first reply, no second run
            socket.send_multipart(envelope + cached)
        elif request_id in self._waiting:  # a retry of a running request: answered when that run ends
            self._waiting[request_id].append(envelope)
        else:
            self._waiting[request_id] = [envelope]
            self._jobs.put((request_id, body))

    def _send_finished(self, socket: zmq.Socket) -> None:
        while True:
            try:
                request_id, reply = self._finished.get_nowait()
            except queue.Empty:
                return
            self._cache.put(request_id, reply)
            # Counted before the reply leaves, so a client that has its answer sees the count.
            self.handled += 1
            for envelope in self._waiting.pop(request_id, []):
                socket.send_multipart(envelope + reply)

    def _work(self) -> None:
        """A handler thread: takes requests, hands replies back to the socket thread."""
        while True:
            job = self._jobs.get()
            if job is None:
                return
            request_id, body = job
            self._finished.put((request_id, self._reply_to(body)))
            try:
                self._wake_writer.send(b"\0")  # type: ignore[union-attr]
            except (OSError, AttributeError):  # the server has stopped and closed its end: nobody waits for this reply
                return

    def _reply_to(self, body: bytes) -> list[bytes]:
        try:
            request = self.request_adapter.validate_json(body)
        except ValidationError as exc:
            return _error("ValidationError", str(exc))
        try:
            reply = self.handler(request)
        except BaseException as exc:  # analyzer: ignore[broad-except] - every request gets a reply, SystemExit included; the client gets RemoteError
            logger.error("handler for %s failed: %s: %s", self.endpoint, type(exc).__name__, exc, exc_info=True)
            return _error(type(exc).__name__, str(exc))
        try:
            return [KIND_REPLY, _encode(reply)]
        except Exception as exc:  # analyzer: ignore[broad-except] - pydantic raises several kinds for a value it cannot dump; the client gets RemoteError
            logger.error("the reply of the handler for %s cannot be serialised: %s", self.endpoint, exc)
            return _error("ReplyNotSerializable", f"the handler returned a {type(reply).__name__}, which cannot be "
                                                  f"sent as JSON: {exc}")

    def _shut(self, socket: zmq.Socket) -> None:
        """In the socket's own thread: close it and everything made with it."""
        socket.close(linger=0)
        self._socket = None
        self._release_context()
        for end in (self._wake_reader, self._wake_writer):
            if end is not None:
                end.close()
        for _ in range(self.workers):
            self._jobs.put(None)
        self._closed.set()

    def _release_context(self) -> None:
        if self._auth is not None:
            self._auth.stop()
            self._auth = None
        if self._context is not None and not self._context.closed:
            self._context.term()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving; replies of handlers that finish within ``timeout`` still go out, later ones get ERR.

        The socket thread closes the socket itself; once this returns the port is free.
        """
        self._grace = timeout
        self._stop.set()
        if not self._serving:  # bound but never served: nobody else owns the socket
            if self._socket is not None:
                self._shut(self._socket)
            return
        self._closed.wait(timeout + 5.0)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(1.0)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._socket is not None and not self._stop.is_set() and self.error is None

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
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self.endpoint = resolve_endpoint(address, host, registry)
        self.reply_adapter = TypeAdapter(reply_type)
        self.timeout, self.retries = timeout, retries
        self.curve = curve
        self.max_message_bytes = max_message_bytes
        self.options = {**(options or {}), "MAXMSGSIZE": max_message_bytes}
        self.last_attempts = 0
        self._keys = None
        if curve is not None:
            public, secret = load_key_pair(curve.secret_file, need_secret=True)
            server_public, _ = load_key_pair(curve.server_public_file, need_secret=False)
            self._keys = (public, secret, server_public)
        self._context = context or zmq.Context.instance()
        self._socket: zmq.Socket | None = None
        self._lock = threading.Lock()

    def _open(self) -> zmq.Socket:
        socket = self._context.socket(zmq.REQ)
        _apply_options(socket, self.options)
        if self._keys is not None:
            socket.curve_publickey, socket.curve_secretkey, socket.curve_serverkey = self._keys
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
        """Send ``message`` and return the reply validated into ``reply_type``.

        Every attempt carries the same request id: the server runs the handler once and
        answers a retry with the first reply (see the module doc for the guarantees).
        """
        body = _encode(message)
        if len(body) > self.max_message_bytes:
            raise MessageTooLarge(f"request of {len(body)} bytes is over the {self.max_message_bytes}-byte limit; "
                                  "the server would drop it unanswered")
        kind, *rest = self._exchange([KIND_REQUEST, uuid.uuid4().bytes, body], timeout, retries)
        reply = rest[0] if rest else b""
        if kind == KIND_ERROR:
            error = json.loads(reply)
            raise RemoteError(error.get("type", "Error"), error.get("message", ""))
        if kind != KIND_REPLY:
            raise RemoteError("ProtocolError", f"unexpected reply kind {kind!r}")
        return self.reply_adapter.validate_json(reply)

    def ping(self, timeout: float | None = None, retries: int = 0) -> float:
        """Round-trip seconds of an application heartbeat; RequestTimeout if the server is silent."""
        started = time.perf_counter()
        kind, *_ = self._exchange([KIND_PING], timeout, retries)
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
