# kv_insns.awk — one line per case of kernel-verifier/cases.jsonl: the
# case's "insns" ([code, dst, src, off, imm] per slot) as the little-endian
# wire bytes, written as printf(1) octal escapes ("\030\001...").  A case
# whose line carries no insns array gives an empty line, so line N of the
# output is case N.  Run with LC_ALL=C.
function oct(v) { return sprintf("\\%03o", v % 256) }
function le(v, n,    s, i) {
	s = ""
	for (i = 0; i < n; i++) {
		s = s oct(v % 256)
		v = int(v / 256)
	}
	return s
}
{
	out = ""
	if (match($0, /"insns":\[(\[-?[0-9]+,-?[0-9]+,-?[0-9]+,-?[0-9]+,-?[0-9]+\],?)*\]/)) {
		body = substr($0, RSTART + 10, RLENGTH - 12)
		n = split(body, slots, /\],\[/)
		for (k = 1; k <= n; k++) {
			gsub(/[\[\]]/, "", slots[k])
			if (split(slots[k], f, ",") != 5)
				continue
			off = f[4] + 0; if (off < 0) off += 65536
			imm = f[5] + 0; if (imm < 0) imm += 4294967296
			out = out oct(f[1]) oct((f[3] % 16) * 16 + f[2] % 16) le(off, 2) le(imm, 4)
		}
	}
	print out
}
