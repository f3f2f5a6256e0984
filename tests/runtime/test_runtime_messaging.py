"""agent_runtime.messaging: typed REQ/REP over real sockets on 127.0.0.1, Lazy Pirate, CURVE."""

from __future__ import annotations

import concurrent.futures
import logging
import sys
import threading
import time

import pytest
import zmq
from pydantic import BaseModel

from agent_runtime.messaging import (
    CurveClientKeys,
    CurveServerKeys,
    RemoteError,
    RepServer,
    ReqClient,
    RequestTimeout,
    create_certificates,
)
from agent_runtime.ports import PortInUseError

LOCAL = "tcp://127.0.0.1:*"  # any free port on loopback


class Translate(BaseModel):
    text: str
    target: str = "en"


class Translated(BaseModel):
    text: str
    target: str


def translate(request: Translate) -> Translated:
    if request.text == "boom":
        raise ValueError("cannot translate boom")
    return Translated(text=request.text.upper(), target=request.target)


@pytest.fixture
def servers():
    started: list[RepServer] = []

    def start(address: str = LOCAL, **kwargs) -> RepServer:
        server = RepServer(address, kwargs.pop("handler", translate), Translate, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def clients():
    made: list[ReqClient] = []

    def make(endpoint: str, **kwargs) -> ReqClient:
        client = ReqClient(endpoint, Translated, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def test_typed_request_reply(servers, clients):
    server = servers()
    client = clients(server.endpoint, timeout=2.0)
    reply = client.request(Translate(text="hallo", target="de"))
    assert isinstance(reply, Translated) and reply == Translated(text="HALLO", target="de")
    assert client.last_attempts == 1
    assert client.ping() < 2.0
    assert server.handled == 1  # requests the handler answered; pings never reach it


def test_handler_error_and_invalid_request_come_back_as_remote_error(servers, clients, caplog):
    server = servers()
    client = clients(server.endpoint, timeout=2.0)
    with caplog.at_level(logging.ERROR, logger="agent_runtime.messaging"), pytest.raises(RemoteError) as info:
        client.request(Translate(text="boom"))
    assert info.value.error_type == "ValueError" and "cannot translate boom" in str(info.value)
    assert "Traceback" in caplog.text  # the server logged it
    with pytest.raises(RemoteError, match="ValidationError"):
        client.request({"txt": "no text field"})
    assert client.request(Translate(text="ok")).text == "OK"  # the server goes on


def test_timeout_without_server_is_bounded(clients):
    with zmq.Context() as context, context.socket(zmq.REP) as placeholder:
        port = placeholder.bind_to_random_port("tcp://127.0.0.1")
        placeholder.unbind(f"tcp://127.0.0.1:{port}")
    client = clients(f"tcp://127.0.0.1:{port}", timeout=0.1, retries=2)
    started = time.monotonic()
    with pytest.raises(RequestTimeout, match=r"after 3 attempt\(s\) of 0.1s"):
        client.request(Translate(text="x"))
    assert time.monotonic() - started < 2.0
    assert client.last_attempts == 3


def rebind(port: int, **kwargs) -> RepServer:
    """Restart a server on ``port``; the old socket may need a moment to release it."""
    deadline = time.monotonic() + 3.0
    while True:
        try:
            return RepServer(f"tcp://127.0.0.1:{port}", translate, Translate, **kwargs).start()
        except PortInUseError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_client_recovers_when_server_restarts_between_requests(servers, clients):
    first = servers()
    port = int(first.endpoint.rsplit(":", 1)[1])
    client = clients(first.endpoint, timeout=0.3, retries=10)
    assert client.request(Translate(text="one")).text == "ONE"
    first.stop()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(client.request, Translate(text="two"))
        time.sleep(0.5)  # the server is down for longer than one attempt
        second = rebind(port)
        try:
            assert pending.result(timeout=10).text == "TWO"
        finally:
            second.stop()
    assert client.last_attempts >= 2


def test_client_recovers_when_server_dies_mid_request(clients):
    """The server takes the request and dies without replying; its replacement answers the retry."""
    context = zmq.Context()
    crashing = context.socket(zmq.REP)
    port = crashing.bind_to_random_port("tcp://127.0.0.1")
    client = clients(f"tcp://127.0.0.1:{port}", timeout=0.3, retries=10)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(client.request, Translate(text="lost"))
        assert crashing.poll(5000), "the request never reached the first server"
        assert crashing.recv_multipart()[0] == b"REQ"
        crashing.close(linger=0)  # killed mid-conversation: the reply never comes
        context.term()
        restarted = rebind(port)
        try:
            assert pending.result(timeout=10).text == "LOST"
        finally:
            restarted.stop()
    assert client.last_attempts >= 2


def test_server_bind_by_registered_name_reports_owner(ports_file, servers):
    with zmq.Context() as context, context.socket(zmq.REP) as squatter:
        port = squatter.bind_to_random_port("tcp://127.0.0.1")
        ports_file(f"ports:\n  TRANSLATOR_REP: {{port: {port}, owner: agents/translator.py}}\n")
        with pytest.raises(PortInUseError, match="agents/translator.py"):
            servers("TRANSLATOR_REP", host="127.0.0.1")
        squatter.close(linger=0)


def test_client_and_server_by_registered_name(ports_file, servers, clients, monkeypatch):
    with zmq.Context() as context, context.socket(zmq.REP) as placeholder:
        port = placeholder.bind_to_random_port("tcp://127.0.0.1")
        placeholder.unbind(f"tcp://127.0.0.1:{port}")
    ports_file("ports:\n  TRANSLATOR_REP: {port: 1}\n")
    monkeypatch.setenv("PORT_TRANSLATOR_REP", str(port))  # the env override picks the free port
    server = servers("TRANSLATOR_REP", host="127.0.0.1")
    assert server.endpoint == f"tcp://127.0.0.1:{port}"
    client = clients("TRANSLATOR_REP", timeout=2.0)
    assert client.endpoint == f"tcp://127.0.0.1:{port}"
    assert client.request(Translate(text="named")).text == "NAMED"


# ---------------------------------------------------------------- CURVE


@pytest.fixture
def keys(tmp_path):
    server_public, server_secret = create_certificates(tmp_path / "server", "server")
    good_public, good_secret = create_certificates(tmp_path / "clients", "good")
    _, bad_secret = create_certificates(tmp_path / "strangers", "bad")
    _, impostor_secret = create_certificates(tmp_path / "impostor", "impostor")
    return {
        "server": CurveServerKeys(server_secret, authorized_clients=tmp_path / "clients"),
        "good": CurveClientKeys(good_secret, server_public),
        "bad": CurveClientKeys(bad_secret, server_public),
        "wrong_server": CurveClientKeys(good_secret, tmp_path / "impostor" / "impostor.key"),
    }


def test_curve_with_the_right_keys_works(servers, clients, keys):
    server = servers(curve=keys["server"])
    client = clients(server.endpoint, curve=keys["good"], timeout=2.0, retries=0)
    assert client.request(Translate(text="secret")).text == "SECRET"


def test_curve_rejects_an_unknown_client_key(servers, clients, keys, caplog):
    server = servers(curve=keys["server"])
    client = clients(server.endpoint, curve=keys["bad"], timeout=0.3, retries=1)
    with caplog.at_level(logging.DEBUG, logger="zmq.auth"):
        with pytest.raises(RequestTimeout, match="check the client key is authorised"):
            client.request(Translate(text="let me in"))
    assert server.handled == 0
    denials = [r.getMessage() for r in caplog.records if "DENIED" in r.getMessage()]
    assert any("CURVE" in message for message in denials)  # the ZAP handler said no


def test_curve_rejects_a_wrong_server_key(servers, clients, keys):
    server = servers(curve=keys["server"])
    client = clients(server.endpoint, curve=keys["wrong_server"], timeout=0.3, retries=1)
    with pytest.raises(RequestTimeout):
        client.request(Translate(text="who are you"))
    assert server.handled == 0


def test_curve_server_refuses_plaintext_clients(servers, clients, keys):
    server = servers(curve=keys["server"])
    client = clients(server.endpoint, timeout=0.3, retries=0)
    with pytest.raises(RequestTimeout):
        client.request(Translate(text="plain"))
    assert server.handled == 0


def test_curve_allow_any_client(servers, clients, keys):
    server = servers(curve=CurveServerKeys(keys["server"].secret_file))  # encryption, no client list
    client = clients(server.endpoint, curve=keys["bad"], timeout=2.0, retries=0)
    assert client.request(Translate(text="anyone")).text == "ANYONE"


def test_socket_options_are_applied(servers):
    from agent_runtime.messaging import DEFAULT_OPTIONS, _apply_options

    with zmq.Context() as context, context.socket(zmq.REQ) as sock:
        _apply_options(sock, {"RECONNECT_IVL_MAX": 1234})
        assert sock.getsockopt(zmq.LINGER) == 0
        assert sock.getsockopt(zmq.RECONNECT_IVL) == DEFAULT_OPTIONS["RECONNECT_IVL"]
        assert sock.getsockopt(zmq.RECONNECT_IVL_MAX) == 1234
        assert sock.getsockopt(zmq.HEARTBEAT_IVL) == DEFAULT_OPTIONS["HEARTBEAT_IVL"]


# ---------------------------------------------------------------- retries, threads, stop, bad handlers


def test_a_retried_request_runs_the_handler_once_and_gets_the_first_reply(servers, clients):
    calls = []

    def slow(request: Translate) -> Translated:
        calls.append(request.text)
        time.sleep(0.5)
        return Translated(text=f"{request.text}-{len(calls)}", target=request.target)

    server = servers(handler=slow)
    client = clients(server.endpoint, timeout=0.3, retries=3)
    assert client.request(Translate(text="once")).text == "once-1"
    assert calls == ["once"]
    assert client.last_attempts >= 2  # the first attempt timed out; its retry got the first run's reply


def test_handlers_run_off_the_socket_thread_so_pings_are_answered_meanwhile(servers, clients):
    started, release = threading.Event(), threading.Event()
    handler_threads = []

    def blocking(request: Translate) -> Translated:
        handler_threads.append(threading.current_thread().name)
        started.set()
        release.wait(3)
        return Translated(text=request.text.upper(), target=request.target)

    server = servers(handler=blocking)
    client = clients(server.endpoint, timeout=5.0, retries=0)
    pinger = clients(server.endpoint, timeout=0.5, retries=0)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(client.request, Translate(text="slow"))
        try:
            assert started.wait(5)
            assert pinger.ping() < 0.5  # the socket thread is free while the handler runs
        finally:
            release.set()
        assert pending.result(5).text == "SLOW"
    socket_threads = {t.name for t in threading.enumerate() if t.name.startswith("rep-server")}
    assert socket_threads and not socket_threads & set(handler_threads)


def test_stop_while_a_handler_runs_leaves_the_socket_to_its_own_thread(clients, monkeypatch):
    thread_errors = []
    monkeypatch.setattr(threading, "excepthook", thread_errors.append)
    started, release = threading.Event(), threading.Event()

    def blocking(request: Translate) -> Translated:
        started.set()
        release.wait(3)
        return Translated(text=request.text, target=request.target)

    server = RepServer(LOCAL, blocking, Translate).start()
    (socket_thread,) = [t for t in threading.enumerate() if t.name == f"rep-server {server.endpoint}"]
    port = int(server.endpoint.rsplit(":", 1)[1])
    client = clients(server.endpoint, timeout=5.0, retries=0)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(client.request, Translate(text="late"))
        assert started.wait(5)
        server.stop(timeout=0.2)  # the handler is still running
        release.set()
        socket_thread.join(5)
        assert not socket_thread.is_alive()
        with pytest.raises((RequestTimeout, RemoteError)):
            pending.result(10)
    assert thread_errors == []  # no thread died on a socket closed under it
    rebind(port).stop()  # and the port is free again


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        (lambda request: sys.exit(3), "SystemExit"),
        (lambda request: object(), "ReplyNotSerializable"),
        (lambda request: (_ for _ in ()).throw(KeyboardInterrupt()), "KeyboardInterrupt"),
    ],
    ids=["SystemExit", "unserialisable reply", "BaseException"],
)
def test_a_handler_failing_in_any_way_gets_an_error_reply_and_the_server_goes_on(servers, handler, error_type):
    def failing_once(request: Translate):
        return handler(request) if request.text == "fail" else translate(request)

    server = servers(handler=failing_once)
    with ReqClient(server.endpoint, Translated, timeout=2.0, retries=0) as client:
        with pytest.raises(RemoteError) as info:
            client.request(Translate(text="fail"))
        assert info.value.error_type == error_type
        assert client.request(Translate(text="fine")).text == "FINE"


def test_oversized_requests_are_refused_and_the_server_goes_on(servers, clients):
    calls = []

    def counting(request: Translate) -> Translated:
        calls.append(len(request.text))
        return translate(request)

    server = servers(handler=counting, max_message_bytes=64 * 1024)
    big = Translate(text="x" * (1 << 20))
    with zmq.Context() as context, context.socket(zmq.REQ) as raw:
        raw.setsockopt(zmq.LINGER, 0)
        raw.connect(server.endpoint)
        raw.send_multipart([b"REQ", b"0123456789abcdef", big.model_dump_json().encode()])
        assert not raw.poll(500)  # dropped by the server's MAXMSGSIZE: no reply, no handler call
    client = clients(server.endpoint, timeout=2.0, retries=0, max_message_bytes=64 * 1024)
    with pytest.raises(ValueError, match=r"request of \d+ bytes is over the 65536-byte limit"):
        client.request(big)  # refused before it is sent
    assert client.request(Translate(text="small")).text == "SMALL"
    assert calls == [5]


def test_a_curve_key_file_of_the_wrong_kind_is_a_clear_error(tmp_path, keys):
    public_only = tmp_path / "server" / "server.key"
    with pytest.raises(ValueError, match=r"server\.key holds a public key only.*key_secret"):
        RepServer(LOCAL, translate, Translate, curve=CurveServerKeys(public_only)).start()
    garbage = tmp_path / "garbage.key_secret"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ValueError, match=r"garbage\.key_secret is not a CURVE certificate"):
        RepServer(LOCAL, translate, Translate, curve=CurveServerKeys(garbage)).start()
    with pytest.raises(ValueError, match=r"garbage\.key_secret is not a CURVE certificate"):
        ReqClient(LOCAL.replace("*", "1"), Translated, curve=CurveClientKeys(garbage, public_only))
