#!/usr/bin/python3
"""Sends ICMPv6 Redirects built with scapy (used by test/interop/nd-kernel.test.ts).

Usage: send_redirect.py IFACE   (run inside the namespace that holds IFACE)

Scapy takes a second or two to import, so this runs once and sends one frame
per JSON line read from stdin:

  {"id": "a", "ethSrc": "...", "ethDst": "...", "src": "fe80::1", "dst": "fe80::2",
   "hlim": 255, "target": "fe80::99", "destination": "2001:db8:b::1",
   "tllao": "02:00:00:00:00:99"}

"tllao" is optional (a Target Link-Layer Address option when given). Prints
"ready" once scapy is loaded, then "sent <id> <hex of the frame>" per frame, so
the caller knows the frame left and can dissect it if a test fails.
"""
import json
import sys

from scapy.all import Ether, IPv6, ICMPv6ND_Redirect, ICMPv6NDOptDstLLAddr, conf  # noqa: E402

iface = sys.argv[1]
conf.verb = 0
sock = conf.L2socket(iface=iface)
print("ready", flush=True)

for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    m = json.loads(line)
    pkt = (
        Ether(dst=m["ethDst"], src=m["ethSrc"])
        / IPv6(src=m["src"], dst=m["dst"], hlim=int(m.get("hlim", 255)))
        / ICMPv6ND_Redirect(tgt=m["target"], dst=m["destination"])
    )
    if m.get("tllao"):
        pkt = pkt / ICMPv6NDOptDstLLAddr(lladdr=m["tllao"])
    raw = bytes(pkt)
    sock.send(Ether(raw))
    print("sent %s %s" % (m.get("id", ""), raw.hex()), flush=True)

sock.close()
