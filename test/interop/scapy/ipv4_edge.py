#!/usr/bin/python3
"""Sends IPv4 edge cases built with scapy and sniffs what wasagi sends back
(used by test/interop/ipv4-scapy.test.ts).

Usage: ipv4_edge.py IFACE WASAGI_MAC   (run inside the namespace that holds IFACE)

Scapy takes a second or two to import, so this runs once and handles one JSON
line read from stdin at a time. A sniffer runs from the start to the end and
keeps every frame whose Ethernet source is WASAGI_MAC, with its time.

Every line has "id" and "op"; the sending ops also "ethSrc", "ethDst", "src",
"dst", and "listen" (seconds to keep collecting after the last frame left):

  ip       one datagram, `count` times (default 1):
             ip      fields passed to scapy's IP() as they are (ihl, version,
                     chksum, len, proto, ttl, id, flags, frag); unset ones are
                     computed by scapy
             options "nop" (4 NOPs) or "rr" (an empty Record Route with room
                     for 9 addresses)
             body    {"kind": "echo", "echoId", "seq", "size"}
                     {"kind": "udp", "sport", "dport", "size", "chksum"?}
                     (chksum: 0 for none; badChksum: the right one + 1)
                     {"kind": "raw", "size"}
             pad     Ethernet padding bytes (0xaa) after the datagram
             sportStep  with count > 1 and a udp body: sport + i for datagram i
  frags    a UDP datagram (sport, dport, size) fragmented by scapy's
           fragment() at `fragsize` with Identification `ident`, sent
             order "in" as cut, "reverse", "overlap" (an extra fragment
             overlapping the second, sent after it), or "first" (the first
             fragment alone)
  frames   nothing sent: the frames sniffed since `since` (a time from an
           earlier answer)

Each answer is one line "result <json>": {"id", "sent": frames sent, "t0":
time the first left, "frames": [{"t", "hex"}] sniffed from wasagi since t0,
"first": hex of the first frame sent}, or "error <id> <message>".
"""
import json
import socket
import sys
import threading
import time
import traceback

from scapy.all import (  # noqa: E402
    Ether, IP, ICMP, UDP, Raw, Padding, IPOption_NOP, IPOption_RR, AsyncSniffer, fragment, conf,
)

iface = sys.argv[1]
wmac = sys.argv[2].lower()
conf.verb = 0
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((iface, 0))

lock = threading.Lock()
seen = []  # (time, bytes) of wasagi's frames
started = threading.Event()


def keep(p):
    with lock:
        seen.append((float(p.time), bytes(p)))


sniffer = AsyncSniffer(
    iface=iface, store=False, prn=keep, lfilter=lambda p: p.haslayer(Ether) and p[Ether].src.lower() == wmac,
    started_callback=started.set,
)
sniffer.start()
if not started.wait(20):
    print("error - the sniffer did not start", flush=True)
    sys.exit(1)
print("ready", flush=True)


def pattern(n, k=7):
    return bytes((i * k + 3) & 0xFF for i in range(n))


def eth(m):
    return Ether(dst=m["ethDst"], src=m["ethSrc"])


def options(name):
    if name is None:
        return []
    if name == "nop":
        return [IPOption_NOP()] * 4
    if name == "rr":
        # length 39: 9 empty slots, pointer 4 (the first slot); padded to 40 with an EOL by scapy.
        return [IPOption_RR(length=39, pointer=4, routers=["0.0.0.0"] * 9)]
    raise ValueError("unknown options %r" % name)


def body(b):
    kind = b["kind"]
    if kind == "echo":
        return ICMP(type=8, id=int(b["echoId"]), seq=int(b.get("seq", 1))) / Raw(pattern(int(b.get("size", 16))))
    if kind == "udp":
        u = UDP(sport=int(b["sport"]), dport=int(b["dport"]))
        if "chksum" in b:
            u.chksum = int(b["chksum"])
        return u / Raw(pattern(int(b.get("size", 16)), 5))
    if kind == "raw":
        return Raw(pattern(int(b["size"]), 11))
    raise ValueError("unknown body %r" % kind)


def build(m):
    op = m["op"]
    if op == "ip":
        out = []
        for i in range(int(m.get("count", 1))):
            b = dict(m["body"])
            if b["kind"] == "udp" and m.get("sportStep"):
                b["sport"] = int(b["sport"]) + i
            ipf = {k: v for k, v in m.get("ip", {}).items()}
            pkt = IP(src=m["src"], dst=m["dst"], options=options(m.get("options")), **ipf) / body(b)
            if b["kind"] == "udp" and b.get("badChksum"):
                # the right checksum, plus one (never 0: that would mean "none")
                good = IP(bytes(pkt))[UDP].chksum
                pkt[UDP].chksum = ((good + 1) & 0xFFFF) or 1
            f = bytes(eth(m) / pkt)
            if m.get("pad"):
                f += b"\xaa" * int(m["pad"])
            out.append(f)
        return out
    if op == "frags":
        pkt = IP(src=m["src"], dst=m["dst"], id=int(m["ident"])) / UDP(sport=int(m["sport"]), dport=int(m["dport"])) / Raw(
            pattern(int(m["size"]), 13)
        )
        frags = fragment(pkt, fragsize=int(m["fragsize"]))
        order = m.get("order", "in")
        if order == "reverse":
            frags = list(reversed(frags))
        elif order == "first":
            frags = frags[:1]
        elif order == "overlap":
            second = frags[1]
            # 16 bytes starting 8 before the second fragment: overlaps the first and the second.
            bad = IP(src=m["src"], dst=m["dst"], id=int(m["ident"]), flags="MF", frag=second.frag - 1, proto=17) / Raw(b"\xee" * 16)
            frags = [frags[0], frags[1], bad] + list(frags[2:])
        return [bytes(eth(m) / f) for f in frags]
    raise ValueError("unknown op %r" % op)


def frames_since(t):
    with lock:
        return [{"t": ft, "hex": fb.hex()} for (ft, fb) in seen if ft >= t]


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    m = json.loads(line)
    try:
        if m["op"] == "frames":
            print("result " + json.dumps({"id": m["id"], "sent": 0, "t0": m["since"], "frames": frames_since(float(m["since"]))}), flush=True)
            continue
        raws = build(m)
        t0 = time.time()
        for r in raws:
            sock.send(r)
        time.sleep(float(m.get("listen", 0.3)))
        print(
            "result " + json.dumps({"id": m["id"], "sent": len(raws), "t0": t0, "frames": frames_since(t0), "first": raws[0].hex()}),
            flush=True,
        )
    except Exception as e:  # report, keep serving
        print("error %s %s" % (m.get("id", ""), repr(e).replace("\n", " ")), flush=True)
        traceback.print_exc(file=sys.stderr)

sniffer.stop()
sock.close()
