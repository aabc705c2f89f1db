# csum.s — RFC 1071 internet checksum of the buffer at r1, r2 bytes long.
# Run over an IPv4 header whose checksum field is zero, it returns the value
# that belongs in that field.
	r0 = 0                        # running 32-bit sum
	r3 = 0                        # byte index
pairs:
	r4 = r3
	r4 += 1
	if r4 >= r2 goto odd          # fewer than two bytes left
	r5 = r1
	r5 += r3
	r6 = *(u8 *)(r5 + 0)
	r6 <<= 8
	r7 = *(u8 *)(r5 + 1)
	r6 |= r7
	r0 += r6
	r3 += 2
	goto pairs
odd:
	if r3 >= r2 goto fold
	r5 = r1
	r5 += r3
	r6 = *(u8 *)(r5 + 0)
	r6 <<= 8                      # a last odd byte is the high half
	r0 += r6
fold:
	r4 = r0
	r4 >>= 16
	if r4 == 0 goto done
	r0 &= 0xffff
	r0 += r4
	goto fold
done:
	r0 ^= 0xffff
	exit
