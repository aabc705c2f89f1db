# conf_raw.awk — the "-- raw" section of a bpf_conformance test file (one
# 64-bit hex integer per slot, opcode in the low byte) as little-endian
# wire bytes written as printf(1) octal escapes, on one line.  Run with
# LC_ALL=C.
/^--/ { raw = ($0 ~ /^-- *raw/); next }
raw && /0[xX][0-9a-fA-F]+/ {
	h = $1
	sub(/^0[xX]/, "", h)
	while (length(h) < 16)
		h = "0" h
	for (i = 15; i >= 1; i -= 2)
		out = out sprintf("\\%03o", hexval(substr(h, i, 2)))
}
function hexval(s,    i, v) {
	v = 0
	for (i = 1; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
	return v
}
END { print out }
