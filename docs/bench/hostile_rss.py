#!/usr/bin/env python3
"""Peak RSS of `cxrkit serve` under each hostile-input attack (issue 14).

cxrkit's own measurement script, for the closing note of the hostile-input
issue: it starts a fake OpenAI-compatible endpoint and `cxrkit serve` in
front of it, runs each attack class, and reports for each what the server
answered, the server's peak RSS during the attack (VmHWM, reset before each
attack through /proc/PID/clear_refs; Linux only) and whether /healthz kept
answering while it ran (polled every 200 ms).

    go build -o /tmp/cxrkit ./cmd/cxrkit
    python3 docs/bench/hostile_rss.py /tmp/cxrkit

Attacks: a PNG header declaring 16384x16384 16-bit RGBA (4 at once); a
DICOM declaring 2^35 frames, and one declaring a 3.6 GB element (4 at
once each); 4 uploads sending their body at 2 bytes/s beside one normal
request; a 10 MB draft (default limits, then with the draft limit raised
and a 100 ms request timeout); an endpoint whose answer never ends.
"""
import http.client
import http.server
import json
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

GROUNDING = json.dumps([{"label": "cardiomegaly", "box_2d": [0.45, 0.3, 0.8, 0.75]}])


class Endpoint(http.server.BaseHTTPRequestHandler):
    """A fake endpoint: /v1/models, and chat completions that answer a
    grounding (mode "ok") or a body that never ends (mode "endless")."""

    mode = "ok"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.reply(json.dumps({"object": "list", "data": [{"id": "m", "object": "model"}]}).encode())

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if Endpoint.mode == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                self.wfile.write(b'{"choices":[{"message":{"content":"')
                chunk = b"a" * 65536
                while True:
                    self.wfile.write(chunk)
            except OSError:
                return
        body = {"id": "x", "object": "chat.completion", "model": "m",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": GROUNDING}}]}
        self.reply(json.dumps(body).encode())

    def reply(self, data):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def png(w, h, depth=8, colour=0, pixels=True):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    idat = zlib.compress(b"".join(b"\0" + bytes(w) for _ in range(h))) if pixels else zlib.compress(b"\0")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def dicom_el(group, elem, vr, val, length=None):
    n = len(val) if length is None else length
    b = struct.pack("<HH", group, elem) + vr.encode()
    if vr in ("OB", "OW", "SQ", "UN", "UT"):
        b += b"\0\0" + struct.pack("<I", n)
    else:
        b += struct.pack("<H", n)
    return b + val


def dicom(*elems):
    ts = dicom_el(0x0002, 0x0010, "UI", b"1.2.840.10008.1.2.1\0")
    meta = dicom_el(0x0002, 0x0000, "UL", struct.pack("<I", len(ts))) + ts
    return b"\0" * 128 + b"DICM" + meta + b"".join(elems)


def us(v):
    return struct.pack("<H", v)


def frame_bomb():
    """Rows = Columns = 1, NumberOfFrames = 2^35, empty PixelData."""
    return dicom(dicom_el(0x0028, 0x0002, "US", us(1)), dicom_el(0x0028, 0x0004, "CS", b"MONOCHROME2 "),
                 dicom_el(0x0028, 0x0008, "IS", b"34359738368 "), dicom_el(0x0028, 0x0010, "US", us(1)),
                 dicom_el(0x0028, 0x0011, "US", us(1)), dicom_el(0x0028, 0x0100, "US", us(16)),
                 dicom_el(0x0028, 0x0101, "US", us(16)), dicom_el(0x0028, 0x0102, "US", us(15)),
                 dicom_el(0x0028, 0x0103, "US", us(0)), dicom_el(0x7FE0, 0x0010, "OW", b""))


def element_bomb():
    """One element declaring 3.6 GB in a tiny file."""
    return dicom(dicom_el(0x0008, 0x0016, "UN", b"", length=0xD6000000))


def multipart(image, name, draft):
    b = "cxrkitbench"
    parts = [f"--{b}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{name}\"\r\n"
             f"Content-Type: application/octet-stream\r\n\r\n".encode() + image + b"\r\n"]
    if draft is not None:
        parts.append(f"--{b}\r\nContent-Disposition: form-data; name=\"draft\"\r\n\r\n".encode() + draft.encode() + b"\r\n")
    return b"".join(parts) + f"--{b}--\r\n".encode(), f"multipart/form-data; boundary={b}"


def post(port, image, name, draft, timeout=120):
    body, ctype = multipart(image, name, draft)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    start = time.time()
    try:
        c.request("POST", "/api/audit", body=body, headers={"Content-Type": ctype})
        r = c.getresponse()
        r.read()
        return r.status, time.time() - start
    except OSError as e:
        return f"error {e.__class__.__name__}", time.time() - start
    finally:
        c.close()


def slow_post(port, image, results, bytes_per_s=2):
    body, ctype = multipart(image, "slow.png", "No effusion.")
    s = socket.create_connection(("127.0.0.1", port))
    start = time.time()
    try:
        s.sendall(f"POST /api/audit HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        for i in range(len(body)):
            s.sendall(body[i:i + 1])
            if select.select([s], [], [], 1 / bytes_per_s)[0]:
                break  # the server answered (or closed) before the body ended
    except OSError:
        pass
    try:
        s.settimeout(5)
        status = s.recv(4096).split(b" ", 2)[1].decode()
    except (OSError, IndexError):
        status = "closed"
    results.append((status, time.time() - start))
    s.close()


def vm_hwm(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return -1


def reset_hwm(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


class HealthWatch:
    """Polls /healthz every 200 ms; counts answers and the slowest one."""

    def __init__(self, port):
        self.port, self.ok, self.failed, self.slowest, self.stop = port, 0, 0, 0.0, False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            start = time.time()
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    self.ok += 1
                else:
                    self.failed += 1
            except OSError:
                self.failed += 1
            self.slowest = max(self.slowest, time.time() - start)
            time.sleep(0.2)

    def done(self):
        self.stop = True
        self.t.join()
        return f"{self.ok} ok, {self.failed} failed, slowest {self.slowest * 1000:.0f} ms"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_serve(binary, ep_port, extra):
    port = free_port()
    args = [binary, "serve", "--addr", f"127.0.0.1:{port}", "--endpoint", f"http://127.0.0.1:{ep_port}/v1",
            "--model", "m", "--retries", "0"] + extra
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p, port
        except OSError:
            time.sleep(0.1)
    p.kill()
    sys.exit("serve did not start: " + " ".join(args))


def concurrently(fn, n):
    out, ts = [], []
    for _ in range(n):
        t = threading.Thread(target=lambda: out.append(fn()))
        t.start()
        ts.append(t)
    for t in ts:
        t.join()
    return out


def attack(binary, ep_port, flags, name, fn):
    """Runs fn(port) against a fresh server, so each peak is the attack's own."""
    p, port = start_serve(binary, ep_port, flags)
    try:
        time.sleep(0.3)
        reset_hwm(p.pid)
        idle = vm_hwm(p.pid)
        watch = HealthWatch(port)
        start = time.time()
        answer = fn(port)
        took = time.time() - start
        health = watch.done()
        print(f"| {name} | {answer} | {took:.1f} s | {vm_hwm(p.pid)} MiB (idle {idle}) | {health} |", flush=True)
    finally:
        p.terminate()
        p.wait()


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "cxrkit"
    ep = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=ep.serve_forever, daemon=True).start()
    ep_port = ep.server_address[1]
    small = png(64, 64)
    huge_draft = "Mild cardiomegaly without pleural effusion; possible small pneumothorax at the left apex. " * 115000

    def four(data, name):
        return lambda port: sorted(s for s, _ in concurrently(lambda: post(port, data, name, "x"), 4))

    def slow(port):
        results = []
        ts = [threading.Thread(target=slow_post, args=(port, small, results)) for _ in range(4)]
        for t in ts:
            t.start()
        time.sleep(1)
        normal = post(port, small, "a.png", "Mild cardiomegaly.")
        for t in ts:
            t.join()
        return f"normal request beside them: {normal[0]} in {normal[1]:.2f} s; slow ones: {sorted(s for s, _ in results)}"

    def endless(port):
        Endpoint.mode = "endless"
        try:
            return post(port, small, "a.png", "Mild cardiomegaly.")[0]
        finally:
            Endpoint.mode = "ok"

    print("| attack | server answered | took | peak RSS | /healthz during the attack (polled every 200 ms) |")
    print("| --- | --- | --- | --- | --- |")
    runs = [
        ([], "normal request (64x64 PNG, short draft)", lambda port: post(port, small, "a.png", "Mild cardiomegaly.")[0]),
        ([], "4 x PNG declaring 16384x16384 RGBA64", four(png(16384, 16384, 16, 6, pixels=False), "big.png")),
        ([], "4 x DICOM, 2^35 frames (%d bytes)" % len(frame_bomb()), four(frame_bomb(), "f.dcm")),
        ([], "4 x DICOM, element declaring 3.6 GB (%d bytes)" % len(element_bomb()), four(element_bomb(), "e.dcm")),
        (["--upload-timeout", "5s"], "4 uploads at 2 bytes/s (--upload-timeout 5s)", slow),
        ([], "10 MB draft (default --max-draft-chars)", lambda port: post(port, small, "a.png", huge_draft)[0]),
        (["--max-draft-chars", "30000000", "--max-upload-mb", "64", "--request-timeout", "100ms"],
         "10 MB draft, limit raised, --request-timeout 100ms", lambda port: post(port, small, "a.png", huge_draft)[0]),
        ([], "endpoint answer that never ends", endless),
    ]
    for flags, name, fn in runs:
        attack(binary, ep_port, flags, name, fn)
    ep.shutdown()


if __name__ == "__main__":
    main()
