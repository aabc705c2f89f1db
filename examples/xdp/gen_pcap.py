#!/usr/bin/env python3
"""gen_pcap.py OUT.pcap — writes the example's capture: a fixed mix of
packets whose per-class counts are printed on stdout as "class N" lines
(the oracle run.sh checks bpftk's output against).  Classes are those of
xdp_count.c.  Written from the pcap file format (LINKTYPE_ETHERNET,
microsecond timestamps), no libraries."""
import struct
import sys

ETH_SRC = bytes.fromhex("020000000001")
ETH_DST = bytes.fromhex("020000000002")


def eth(proto, payload):
    return ETH_DST + ETH_SRC + struct.pack(">H", proto) + payload


def ipv4(proto, l4):
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64,
                      proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    s = sum(struct.unpack(">10H", hdr))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    hdr = hdr[:10] + struct.pack(">H", ~s & 0xffff) + hdr[12:]
    return hdr + l4


def ipv6(nxt, l4):
    return (struct.pack(">IHBB", 6 << 28, len(l4), nxt, 64) +
            bytes(15) + b"\x01" + bytes(15) + b"\x02" + l4)


def tcp(dport):
    return struct.pack(">HHIIBBHHH", 40000, dport, 1, 0, 5 << 4, 0x02,
                       65535, 0, 0)


def udp(dport, data=b"hello"):
    return struct.pack(">HHHH", 40000, dport, 8 + len(data), 0) + data


ARP = bytes.fromhex("0001080006040001") + ETH_SRC + bytes([10, 0, 0, 1]) + \
    bytes(6) + bytes([10, 0, 0, 2])
ICMP = bytes.fromhex("0800f7ff00000000")

# (class, dropped, frame)
PACKETS = []
for port in (80, 443, 22, 80, 8080):
    PACKETS.append(("ipv4_tcp", False, eth(0x0800, ipv4(6, tcp(port)))))
for port in (53, 9, 123, 9):
    PACKETS.append(("ipv4_udp", port == 9, eth(0x0800, ipv4(17, udp(port)))))
PACKETS.append(("ipv4_other", False, eth(0x0800, ipv4(1, ICMP))))
for port in (443, 80, 22):
    PACKETS.append(("ipv6_tcp", False, eth(0x86dd, ipv6(6, tcp(port)))))
for port in (9, 5353):
    PACKETS.append(("ipv6_udp", port == 9, eth(0x86dd, ipv6(17, udp(port)))))
PACKETS.append(("ipv6_other", False, eth(0x86dd, ipv6(58, ICMP))))
for _ in range(2):
    PACKETS.append(("not_ip", False, eth(0x0806, ARP)))
# TCP header cut short: counted as truncated
PACKETS.append(("short", False, eth(0x0800, ipv4(6, tcp(80))[:30])))


def main():
    out = sys.argv[1]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, (_, _, frame) in enumerate(PACKETS):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(frame),
                                len(frame)))
            f.write(frame)
    counts = {}
    for cls, _, _ in PACKETS:
        counts[cls] = counts.get(cls, 0) + 1
    for cls in sorted(counts):
        print(cls, counts[cls])
    print("packets", len(PACKETS))
    print("dropped", sum(1 for p in PACKETS if p[1]))
    print("passed", sum(1 for p in PACKETS if not p[1]))


main()
