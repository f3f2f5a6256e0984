"""runtime.messaging: typed REQ/REP over real sockets on 127.0.0.1, Lazy Pirate, CURVE."""

from __future__ import annotations

import concurrent.futures
import logging
import time

import pytest
import zmq
from pydantic import BaseModel

from runtime.messaging import (
    CurveClientKeys,
    CurveServerKeys,
    RemoteError,
    RepServer,
    ReqClient,
    RequestTimeout,
    create_certificates,
)
from runtime.ports import PortInUseError

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
    assert server.handled == 2


def test_handler_error_and_invalid_request_come_back_as_remote_error(servers, clients, caplog):
    server = servers()
    client = clients(server.endpoint, timeout=2.0)
    with caplog.at_level(logging.ERROR, logger="runtime.messaging"), pytest.raises(RemoteError) as info:
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
    from runtime.messaging import DEFAULT_OPTIONS, _apply_options

    with zmq.Context() as context, context.socket(zmq.REQ) as sock:
        _apply_options(sock, {"RECONNECT_IVL_MAX": 1234})
        assert sock.getsockopt(zmq.LINGER) == 0
        assert sock.getsockopt(zmq.RECONNECT_IVL) == DEFAULT_OPTIONS["RECONNECT_IVL"]
        assert sock.getsockopt(zmq.RECONNECT_IVL_MAX) == 1234
        assert sock.getsockopt(zmq.HEARTBEAT_IVL) == DEFAULT_OPTIONS["HEARTBEAT_IVL"]
