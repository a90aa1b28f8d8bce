"""``streamcodec serve`` as users run it: the transport named in the start
line, ``--workers`` sharing one port, ``/healthz``, a clean stop on
SIGTERM/SIGINT with every open call's counters logged, ``wss://`` with
``--certfile/--keyfile``, and ``--app module:function`` found in the
working directory."""

from __future__ import annotations

import asyncio
import datetime
import os
import re
import signal
import ssl
import subprocess
import sys
import urllib.request

import pytest

from streamcodec.server import load_app
from streamcodec.simulate import connected_frame, media_frame, simulate_call, start_frame, stop_frame

from streamtest import run


def _serve(cwd, *args):
    """Start ``streamcodec serve`` on an ephemeral port; the process, its URL
    and its start line."""
    proc = subprocess.Popen([sys.executable, "-m", "streamcodec", "serve", "--port", "0",
                             "--duration", "60", *args],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on (wss?://127\.0\.0\.1:\d+)", line)
    if not m:
        proc.kill()
        raise AssertionError(f"serve did not start: {line!r} {proc.stderr.read()}")
    return proc, m.group(1), line


def _stop(proc, sig=signal.SIGTERM):
    """Signal ``proc`` (unless the test has) and collect its exit and output."""
    if proc.poll() is None and not getattr(proc, "signalled", False):
        proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err


def _get(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as response:
        return response.status, response.read()


async def _call_in_progress(url, sid, frames=10, ssl_context=None, await_echo=True):
    """Open a stream, send ``frames`` of media and keep it open; the socket.
    With ``await_echo``, return once the echo application has played every
    frame back: the server has read them all (no guess at how long that takes)."""
    from websockets.asyncio.client import connect
    ws = await connect(url, compression=None, proxy=None, open_timeout=5, ssl=ssl_context)
    await ws.send(connected_frame())
    await ws.send(start_frame(sid, 1, "PCMU", 8000))
    for k in range(1, frames + 1):
        await ws.send(media_frame(sid, k + 1, "inbound", k, 20 * (k - 1), bytes(160)))
    echoed = 0
    while await_echo and echoed < frames:
        echoed += '"media"' in await asyncio.wait_for(ws.recv(), 10)
    return ws


@pytest.mark.parametrize("transport", ["picows", "websockets", "asgi"])
def test_two_workers_share_the_port_answer_healthz_and_stop_cleanly(tmp_path, transport):
    if transport == "picows":
        pytest.importorskip("picows", reason="extra 'fast' not installed")
    proc, url, line = _serve(tmp_path, "--workers", "2", "--transport", transport)
    try:
        assert f"({transport}" in line and "2 workers" in line
        pids = re.search(r"pids (\d+) (\d+)", line).groups()

        async def main():
            calls = await asyncio.gather(*(simulate_call(url, codec="PCMU", seconds=0.3,
                                                         linger_idle=0.05) for _ in range(6)))
            open_calls = [await _call_in_progress(url, f"open-{i}") for i in range(4)]
            status = await asyncio.get_running_loop().run_in_executor(
                None, _get, "http" + url[2:] + "/healthz")
            proc.send_signal(signal.SIGTERM)
            proc.signalled = True
            codes = []
            for ws in open_calls:
                await asyncio.wait_for(ws.wait_closed(), 10)
                codes.append(ws.close_code)
            return calls, codes, status

        calls, codes, status = run(main(), 60)
        assert status == (200, b"ok\n")
        assert all(c.close_code == 1000 and c.received_media == 15 for c in calls)
    finally:
        code, out, log = _stop(proc)

    assert code == 0, log
    assert codes == [1001] * 4
    # Every call's counters were logged, the open ones closed as going away.
    for i in range(4):
        summary = next(s for s in log.splitlines() if f"stream open-{i} from" in s)
        assert "inbound: 10 received, 0 lost" in summary and "close 1001" in summary
    assert sum("close 1000" in s for s in log.splitlines()) == 6
    # Both workers served.
    workers = {m.group(1) for m in re.finditer(r"^\S+ \S+ (\d+) streamcodec\.server INFO stream ",
                                               log, re.M)}
    assert workers <= set(pids) and len(workers) >= 1
    assert "stopped" in out


def test_sigint_closes_a_single_worker_cleanly(tmp_path):
    proc, url, line = _serve(tmp_path)
    transport = re.search(r"\((\w+)", line).group(1)
    assert transport in ("picows", "websockets")
    async def main():
        ws = await _call_in_progress(url, "interrupted")
        proc.send_signal(signal.SIGINT)
        proc.signalled = True
        await asyncio.wait_for(ws.wait_closed(), 10)
        return ws.close_code

    try:
        close_code = run(main(), 30)
    finally:
        code, out, log = _stop(proc, signal.SIGINT)
    assert code == 0, log
    assert close_code == 1001
    summary = next(s for s in log.splitlines() if "stream interrupted from" in s)
    assert "close 1001" in summary and "inbound: 10 received" in summary


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
                ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return certfile, keyfile


@pytest.mark.parametrize("transport", ["picows", "websockets", "asgi"])
def test_wss_with_a_self_signed_certificate(tmp_path, transport):
    if transport == "picows":
        pytest.importorskip("picows", reason="extra 'fast' not installed")
    certfile, keyfile = _self_signed(tmp_path)
    proc, url, line = _serve(tmp_path, "--transport", transport, "--rate", "8000",
                             "--certfile", str(certfile), "--keyfile", str(keyfile))
    context = ssl.create_default_context(cafile=str(certfile))
    try:
        assert url.startswith("wss://")

        async def main():
            ws = await _call_in_progress(url, "secure", frames=10, ssl_context=context,
                                     await_echo=False)
            await ws.send(stop_frame("secure", 12))
            heard = 0
            async for message in ws:
                heard += '"media"' in message
            return heard, ws.close_code

        heard, close_code = run(main(), 30)
    finally:
        code, out, log = _stop(proc)
    assert close_code == 1000 and heard == 10
    assert "stream secure from" in log and "inbound: 10 received" in log


def test_app_from_the_working_directory(tmp_path):
    (tmp_path / "mybot.py").write_text(
        "from streamcodec import telnyx\n"
        "async def app(call):\n"
        "    async for event in call:\n"
        "        if isinstance(event, telnyx.Media):\n"
        "            await call.play(bytes(len(event.pcm)), call.rate)   # silence back\n")
    proc, url, line = _serve(tmp_path, "--app", "mybot:app", "--rate", "8000")
    try:
        assert "app mybot:app" in line
        result = run(simulate_call(url, codec="PCMU", seconds=0.3, linger_idle=0.05), 30)
    finally:
        code, out, log = _stop(proc)
    assert result.close_code == 1000 and result.received_media == 15
    assert not result.heard.any()                      # the bot's silence, not an echo


def test_load_app_says_what_to_do_about_a_source_tree_without_its_core(tmp_path, monkeypatch):
    (tmp_path / "checkout_bot.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'streamcodec._core'\", "
        "name='streamcodec._core')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    with pytest.raises(ValueError, match="install it .* outside the source tree"):
        load_app("checkout_bot:app")
    assert sys.path[0] == os.getcwd()


def test_serve_carrier_and_verifier_options(tmp_path):
    """``--carrier`` and the carriers' verifier options reach the server:
    an Exotel call with the right Basic auth is served as Exotel, one
    without is closed with 1008."""
    from streamcodec.simulate import simulate_call as _simulate

    proc, url, line = _serve(tmp_path, "--carrier", "exotel", "--exotel-basic-auth", "key:tok",
                             "--transport", "websockets")
    assert "carrier exotel" in line and "callers verified" in line

    async def refused():
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed
        async with connect(url, compression=None, proxy=None, open_timeout=5) as ws:
            try:
                await asyncio.wait_for(ws.recv(), 5)
            except ConnectionClosed:
                pass
            return ws.close_code

    try:
        assert run(refused(), 30) == 1008
        r = run(_simulate(url, carrier="exotel", seconds=0.4, linger_idle=0.2,
                          auth_token="key:tok"), 30)      # sent as Basic auth
        assert not r.errors and r.close_code == 1000 and r.frames == 4
    finally:
        code, out, err = _stop(proc)
    assert "refused" in err


def test_uvicorn_leaves_sigterm_and_sigint_to_serve():
    # serve closes every call with 1001 on SIGTERM/SIGINT, then stops uvicorn;
    # were uvicorn's own handlers installed too, its shutdown would race ours
    # and close the calls not yet closed with 1012.
    pytest.importorskip("uvicorn")
    from streamcodec.server import echo_app
    from streamcodec.server.run import ServeOptions, _start_uvicorn

    def ours(signum, frame):
        raise AssertionError("not sent in this test")

    previous = {sig: signal.signal(sig, ours) for sig in (signal.SIGTERM, signal.SIGINT)}

    async def main():
        handler, url, finish = await _start_uvicorn(ServeOptions(echo_app), 0, False, None)
        try:
            return {sig: signal.getsignal(sig) for sig in previous}
        finally:
            await finish()

    try:
        while_serving = run(main(), 30)
        after = {sig: signal.getsignal(sig) for sig in previous}
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    assert while_serving == {signal.SIGTERM: ours, signal.SIGINT: ours}
    assert after == while_serving
