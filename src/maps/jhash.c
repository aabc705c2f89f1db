/* jhash.c — the hash functions of the kernel's hash maps and bloom filter.
 *
 * Linux hashes map keys with jhash (Bob Jenkins' lookup3, public domain),
 * and jhash2 when the length is a multiple of 4.  Using the same function
 * means a map created with BPF_F_ZERO_SEED puts every key in the same bucket
 * as the kernel, so iteration order matches Linux exactly, and a zero-seed
 * bloom filter answers exactly as the kernel's does.  Words are read in host
 * byte order, as the kernel does.
 */
#include <time.h>

#include "maps_int.h"

#define JHASH_INITVAL 0xdeadbeefu

static uint32_t rol32(uint32_t w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

#define JHASH_MIX(a, b, c)                                                 \
	do {                                                               \
		a -= c; a ^= rol32(c, 4); c += b;                          \
		b -= a; b ^= rol32(a, 6); a += c;                          \
		c -= b; c ^= rol32(b, 8); b += a;                          \
		a -= c; a ^= rol32(c, 16); c += b;                         \
		b -= a; b ^= rol32(a, 19); a += c;                         \
		c -= b; c ^= rol32(b, 4); b += a;                          \
	} while (0)

#define JHASH_FINAL(a, b, c)                                               \
	do {                                                               \
		c ^= b; c -= rol32(b, 14);                                 \
		a ^= c; a -= rol32(c, 11);                                 \
		b ^= a; b -= rol32(a, 25);                                 \
		c ^= b; c -= rol32(b, 16);                                 \
		a ^= c; a -= rol32(c, 4);                                  \
		b ^= a; b -= rol32(a, 14);                                 \
		c ^= b; c -= rol32(b, 24);                                 \
	} while (0)

static uint32_t word(const unsigned char *p)
{
	uint32_t w;
	memcpy(&w, p, 4);
	return w;
}

uint32_t maps_jhash(const void *key, uint32_t len, uint32_t initval)
{
	const unsigned char *k = key;
	uint32_t a, b, c;
	a = b = c = JHASH_INITVAL + len + initval;
	while (len > 12) {
		a += word(k);
		b += word(k + 4);
		c += word(k + 8);
		JHASH_MIX(a, b, c);
		len -= 12;
		k += 12;
	}
	/* the last 1..12 bytes, little-endian within each word */
	switch (len) {
	case 12: c += (uint32_t)k[11] << 24; /* fall through */
	case 11: c += (uint32_t)k[10] << 16; /* fall through */
	case 10: c += (uint32_t)k[9] << 8; /* fall through */
	case 9: c += k[8]; /* fall through */
	case 8: b += (uint32_t)k[7] << 24; /* fall through */
	case 7: b += (uint32_t)k[6] << 16; /* fall through */
	case 6: b += (uint32_t)k[5] << 8; /* fall through */
	case 5: b += k[4]; /* fall through */
	case 4: a += (uint32_t)k[3] << 24; /* fall through */
	case 3: a += (uint32_t)k[2] << 16; /* fall through */
	case 2: a += (uint32_t)k[1] << 8; /* fall through */
	case 1:
		a += k[0];
		JHASH_FINAL(a, b, c);
		break;
	default:
		break;
	}
	return c;
}

uint32_t maps_jhash2(const void *key, uint32_t words, uint32_t initval)
{
	const unsigned char *k = key;
	uint32_t a, b, c;
	a = b = c = JHASH_INITVAL + (words << 2) + initval;
	while (words > 3) {
		a += word(k);
		b += word(k + 4);
		c += word(k + 8);
		JHASH_MIX(a, b, c);
		words -= 3;
		k += 12;
	}
	switch (words) {
	case 3: c += word(k + 8); /* fall through */
	case 2: b += word(k + 4); /* fall through */
	case 1:
		a += word(k);
		JHASH_FINAL(a, b, c);
		break;
	default:
		break;
	}
	return c;
}

uint32_t maps_hash_key(const void *key, uint32_t len, uint32_t seed)
{
	if (!(len & 3))
		return maps_jhash2(key, len / 4, seed);
	return maps_jhash(key, len, seed);
}

uint32_t maps_random_u32(void)
{
	/* splitmix64 over a counter, the clock and an address: seeds only
	 * need to differ between maps, as the kernel's get_random_u32() */
	static uint64_t counter;
	struct timespec ts;
	uint64_t z;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	z = __atomic_add_fetch(&counter, 0x9e3779b97f4a7c15ULL, __ATOMIC_RELAXED);
	z ^= (uint64_t)ts.tv_nsec * 0xbf58476d1ce4e5b9ULL ^ (uint64_t)ts.tv_sec;
	z ^= (uint64_t)(uintptr_t)&ts;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)(z ^ (z >> 31));
}
