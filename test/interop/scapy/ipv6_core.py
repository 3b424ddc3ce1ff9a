#!/usr/bin/python3
"""Sends IPv6 packets built with scapy (used by test/interop/ipv6-core.test.ts).

Usage: ipv6_core.py IFACE   (run inside the namespace that holds IFACE)

Scapy takes a second or two to import, so this runs once and handles one JSON
line read from stdin at a time. Every line has "id", "op", "ethSrc",
"ethDst", "src" and "dst"; the other keys depend on the op:

  nh253                              IPv6 with Next Header 253 and 8 bytes after it
  destopt      otype                 Destination Options with one unknown option
                                     of type `otype` (4 data bytes), then an
                                     Echo Request (id, seq)
  rh0          segleft               Routing header type 0 (one address) with
                                     Segments Left `segleft`, then an Echo
                                     Request (id, seq)
  cutchain     ident                 a first fragment (M=1) whose Destination
                                     Options header claims 2048 bytes but the
                                     fragment carries 16 (RFC 7112)
  fragnot8     ident                 a fragment at offset 800, M=1, 13 data bytes
  errbroken                          a Destination Unreachable (code 4) quoting
                                     20 bytes of garbage
  errdestopt   otype                 the same error behind a Destination Options
                                     header with an unknown option `otype`
  udp          count, sport, dport   `count` UDP datagrams (16 data bytes each)
  fragecho     ident, echoId, size   fragment6(IPv6/Fragment/EchoRequest with
                                     `size` data bytes, 1280)
  overlap      ident, echoId, size   the same fragments, with one more fragment
                                     overlapping the second sent before the last
  floodprep    size                  builds the flood's frame: a first fragment
                                     (M=1) of `size` bytes, IPv6 header included,
                                     carrying the start of an Echo Request
  flood        count, base           `count` copies of it with Identifications
                                     base, base+1, ... sent as fast as a raw
                                     AF_PACKET socket takes them
  ptb          mtu, quotedSrc, quotedDst, echoId, seq, dataLen
                                     a Packet Too Big quoting an Echo Reply from
                                     quotedSrc to quotedDst with dataLen data
                                     bytes, cut so the PTB is 1280 bytes

Prints "ready" once scapy is loaded, then per line "sent <id> <frames>
<hex of the first frame>" (flood: "sent <id> <frames> <ms> <ENOBUFS retries>")
or "error <id> <message>", so the caller knows what left and can dissect it
if a test fails.
"""
import json
import socket
import sys
import time
import traceback

from scapy.all import (  # noqa: E402
    Ether, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, IPv6ExtHdrFragment, HBHOptUnknown, ICMPv6EchoRequest,
    ICMPv6EchoReply, ICMPv6DestUnreach, ICMPv6PacketTooBig, UDP, Raw, fragment6, conf,
)

iface = sys.argv[1]
conf.verb = 0
sock = conf.L2socket(iface=iface)
raw_sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
raw_sock.bind((iface, 0))
print("ready", flush=True)


def eth(m):
    return Ether(dst=m["ethDst"], src=m["ethSrc"])


def ip6(m, **kw):
    return IPv6(src=m["src"], dst=m["dst"], **kw)


def echo(m, data=b"wasagi-ipv6-core"):
    return ICMPv6EchoRequest(id=int(m.get("echoId", 0x1234)), seq=int(m.get("seq", 1)), data=data)


def build(m):
    op = m["op"]
    if op == "nh253":
        return [eth(m) / ip6(m, nh=253) / Raw(b"\x00" * 8)]
    if op == "destopt":
        opt = HBHOptUnknown(otype=int(m["otype"]), optdata=b"\x00\x00\x00\x00")
        return [eth(m) / ip6(m) / IPv6ExtHdrDestOpt(options=[opt]) / echo(m)]
    if op == "rh0":
        rh = IPv6ExtHdrRouting(type=0, segleft=int(m["segleft"]), addresses=["2001:db8:ffff::1"])
        return [eth(m) / ip6(m) / rh / echo(m)]
    if op == "cutchain":
        # Destination Options: Next Header 58, Hdr Ext Len 255 (2048 bytes), PadN filling the 16 bytes sent.
        dopt = bytes([58, 255, 1, 12]) + b"\x00" * 12
        frag = IPv6ExtHdrFragment(nh=60, offset=0, m=1, id=int(m["ident"]))
        return [eth(m) / ip6(m) / frag / Raw(dopt)]
    if op == "fragnot8":
        frag = IPv6ExtHdrFragment(nh=58, offset=100, m=1, id=int(m["ident"]))
        return [eth(m) / ip6(m) / frag / Raw(b"\xab" * 13)]
    if op == "errbroken":
        return [eth(m) / ip6(m) / ICMPv6DestUnreach(code=4) / Raw(b"\x6f\xff" * 10)]
    if op == "errdestopt":
        opt = HBHOptUnknown(otype=int(m["otype"]), optdata=b"\x00\x00\x00\x00")
        return [eth(m) / ip6(m) / IPv6ExtHdrDestOpt(options=[opt]) / ICMPv6DestUnreach(code=4) / Raw(b"\x6f\xff" * 10)]
    if op == "udp":
        return [
            eth(m) / ip6(m) / UDP(sport=int(m["sport"]) + i, dport=int(m["dport"])) / Raw(b"wasagi-udp-%04d.." % i)
            for i in range(int(m.get("count", 1)))
        ]
    if op in ("fragecho", "overlap"):
        size = int(m["size"])
        pkt = ip6(m) / IPv6ExtHdrFragment(id=int(m["ident"])) / echo(m, data=bytes((i * 7) & 0xff for i in range(size)))
        frags = fragment6(pkt, 1280)
        if op == "overlap":
            # Same Identification, covering the second fragment's first 8 bytes and the 8 before it.
            second = frags[1]
            fh = second[IPv6ExtHdrFragment]
            bad = ip6(m) / IPv6ExtHdrFragment(nh=fh.nh, offset=fh.offset - 1, m=1, id=int(m["ident"])) / Raw(b"\xee" * 16)
            frags = [frags[0], frags[1], bad] + list(frags[2:])
        return [eth(m) / f for f in frags]
    if op == "ptb":
        n = int(m["dataLen"])
        quoted = IPv6(src=m["quotedSrc"], dst=m["quotedDst"], hlim=64) / ICMPv6EchoReply(
            id=int(m["echoId"]), seq=int(m["seq"]), data=b"\x00" * n
        )
        q = bytes(quoted)[: 1280 - 40 - 8]
        return [eth(m) / ip6(m) / ICMPv6PacketTooBig(mtu=int(m["mtu"])) / Raw(q)]
    raise ValueError("unknown op %r" % op)


flood_tmpl = {}


def flood_prep(m):
    """Builds the flood's first fragment once (scapy is slow at it), Identification 0."""
    size = int(m["size"])  # IPv6 packet size
    data = size - 40 - 8 - 8  # Echo Request data: fragment data = 8 + data, a multiple of 8
    data -= data % 8
    flood_tmpl["frame"] = bytearray(
        bytes(
            eth(m)
            / ip6(m)
            / IPv6ExtHdrFragment(nh=58, offset=0, m=1, id=0)
            / ICMPv6EchoRequest(id=0x0F0F, seq=0, data=b"\x5a" * data)
        )
    )
    return len(flood_tmpl["frame"])


def flood(m):
    """The prepared fragment, Identification patched in place, sent back to back."""
    count = int(m["count"])
    base = int(m["base"])
    tmpl = flood_tmpl["frame"]
    at = 14 + 40 + 4  # the Identification in the Fragment header
    retries = 0
    t0 = time.monotonic()
    for i in range(count):
        tmpl[at : at + 4] = ((base + i) & 0xFFFFFFFF).to_bytes(4, "big")
        while True:
            try:
                raw_sock.send(tmpl)
                break
            except OSError:  # ENOBUFS: the queue is full, try again at once
                retries += 1
    ms = (time.monotonic() - t0) * 1000
    return count, ms, retries, len(tmpl)


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    m = json.loads(line)
    try:
        if m["op"] == "floodprep":
            print("sent %s 0 %d" % (m.get("id", ""), flood_prep(m)), flush=True)
            continue
        if m["op"] == "flood":
            count, ms, retries, flen = flood(m)
            print("sent %s %d %.1f %d %d" % (m.get("id", ""), count, ms, retries, flen), flush=True)
            continue
        frames = build(m)
        raws = [bytes(f) for f in frames]
        for r in raws:
            sock.send(Ether(r))
        print("sent %s %d %s" % (m.get("id", ""), len(raws), raws[0].hex()), flush=True)
    except Exception as e:  # report, keep serving
        print("error %s %s" % (m.get("id", ""), repr(e).replace("\n", " ")), flush=True)
        traceback.print_exc(file=sys.stderr)

sock.close()
raw_sock.close()
