/* opts.c — the one rule for options structs that start with their size
 * (STYLE.md rule 3): an older, shorter struct leaves the newer fields zero;
 * a newer, longer one is accepted when every byte we do not know is zero,
 * so a caller built against a later header fails loudly only when it asks
 * for something this library cannot do. */
#include <errno.h>
#include <string.h>

#include "util_int.h"

int bpftk_opts_copy(void *dst, size_t dst_sz, const void *src)
{
	size_t src_sz;
	memcpy(&src_sz, src, sizeof(src_sz));
	if (src_sz < sizeof(size_t))
		return -EINVAL;
	if (src_sz > dst_sz) {
		const unsigned char *p = src;
		for (size_t i = dst_sz; i < src_sz; i++)
			if (p[i])
				return -EINVAL;
		src_sz = dst_sz;
	}
	memset(dst, 0, dst_sz);
	memcpy(dst, src, src_sz);
	return 0;
}
