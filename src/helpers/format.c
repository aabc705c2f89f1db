/* format.c — the kernel's format language of bpf_trace_printk and
 * bpf_snprintf (bpf_bprintf_prepare): what it accepts and how it prints.
 *
 * Accepted, as in Linux: printable ASCII and whitespace; %% ; %[-+ 0]*
 * width and .precision; %d %i %u %x %X with no, l or ll length; %c; %s;
 * %p alone or with K, x, s, S (printed as the raw address, 16 hex digits: the
 * kernel hashes plain %p, which we do not imitate), %pi4 %pI4 %pi6 %pI6
 * (addresses read from program memory).  Anything else is -EINVAL, as is a
 * format without its NUL inside fmt_size or with more conversions than
 * arguments.  Output is truncated to the caller's buffer; the return value
 * is the full length, like snprintf.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers_int.h"

#define STR_MAX 512 /* MAX_BPRINTF_BUF: longest %s argument read */

struct out {
	char *p;
	size_t size, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++)
		if (o->len + 1 < o->size)
			o->p[o->len] = s[i];
}

static int printable(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || (c >= 9 && c <= 13);
}

/* %pi4 %pI4 %pi6 %pI6: the address bytes come through read (as a string
 * read would, but fixed length). */
static int print_ip(struct out *o, char kind, int v6, uint64_t addr,
		    bpftk_str_reader read, void *arg)
{
	uint8_t b[16];
	size_t n = v6 ? 16 : 4;
	char tmp[64];
	memset(b, 0, sizeof(b));
	if (read) {
		char buf[17];
		/* read byte by byte: addresses may contain zeros */
		for (size_t i = 0; i < n; i++) {
			if (read(arg, addr + i, buf, 2) < 1)
				return -EFAULT;
			b[i] = (uint8_t)buf[0];
		}
	}
	size_t k = 0;
	if (!v6) {
		for (size_t i = 0; i < 4; i++)
			k += (size_t)snprintf(tmp + k, sizeof(tmp) - k,
					      kind == 'i' ? "%03u%s" : "%u%s",
					      b[i], i < 3 ? "." : "");
	} else {
		for (size_t i = 0; i < 16; i += 2)
			k += (size_t)snprintf(tmp + k, sizeof(tmp) - k,
					      "%02x%02x%s", b[i], b[i + 1],
					      kind == 'I' && i < 14 ? ":" : "");
	}
	put(o, tmp, k);
	return 0;
}

int bpftk_helper_format(char *out, size_t size, const char *fmt,
			size_t fmt_size, const uint64_t *args, size_t nargs,
			bpftk_str_reader read, void *read_arg)
{
	struct out o = {out, size, 0};
	if (!fmt || !fmt_size || !memchr(fmt, 0, fmt_size))
		return -EINVAL;
	size_t used = 0;
	for (size_t i = 0; fmt[i]; i++) {
		if (!printable((unsigned char)fmt[i]))
			return -EINVAL;
		if (fmt[i] != '%') {
			put(&o, &fmt[i], 1);
			continue;
		}
		if (fmt[i + 1] == '%') {
			put(&o, "%", 1);
			i++;
			continue;
		}
		/* rebuild the conversion for the host's snprintf */
		char spec[32];
		size_t k = 0;
		spec[k++] = '%';
		i++;
		while (strchr("0+- ", fmt[i]) && fmt[i] && k < 8)
			spec[k++] = fmt[i++];
		while (fmt[i] >= '0' && fmt[i] <= '9' && k < 16)
			spec[k++] = fmt[i++];
		if (fmt[i] == '.') {
			spec[k++] = fmt[i++];
			while (fmt[i] >= '0' && fmt[i] <= '9' && k < 24)
				spec[k++] = fmt[i++];
		}
		if (fmt[i] >= '0' && fmt[i] <= '9')
			return -EINVAL; /* absurdly long width */
		if (used >= nargs)
			return -EINVAL;
		uint64_t a = args[used++];
		char tmp[STR_MAX + 64];
		int n = 0;
		if (fmt[i] == 'p') {
			char c = fmt[i + 1];
			if ((c == 'i' || c == 'I') &&
			    (fmt[i + 2] == '4' || fmt[i + 2] == '6')) {
				if (print_ip(&o, c, fmt[i + 2] == '6', a, read,
					     read_arg))
					put(&o, "(fault)", 7);
				i += 2;
				continue;
			}
			if (c == 'K' || c == 'x' || c == 's' || c == 'S')
				i++;
			else if (c && !strchr(" \t\n\v\f\r", c) &&
				 !ispunct((unsigned char)c))
				return -EINVAL; /* only %pI4 %pi4 %pI6 %pi6 */
			n = snprintf(tmp, sizeof(tmp), "%016llx",
				     (unsigned long long)a);
		} else if (fmt[i] == 's') {
			char s[STR_MAX];
			s[0] = '\0';
			if (!read || read(read_arg, a, s, sizeof(s)) < 0)
				s[0] = '\0';
			spec[k++] = 's';
			spec[k] = '\0';
			n = snprintf(tmp, sizeof(tmp), spec, s);
		} else if (fmt[i] == 'c') {
			spec[k++] = 'c';
			spec[k] = '\0';
			n = snprintf(tmp, sizeof(tmp), spec, (int)(uint8_t)a);
		} else {
			int len = 0;
			if (fmt[i] == 'l') {
				len = 1;
				i++;
				if (fmt[i] == 'l') {
					len = 2;
					i++;
				}
			}
			char conv = fmt[i];
			if (!conv || !strchr("diuxX", conv))
				return -EINVAL;
			spec[k++] = 'l';
			spec[k++] = 'l';
			spec[k++] = conv;
			spec[k] = '\0';
			int sgn = conv == 'd' || conv == 'i';
			/* %d and %u take an int, %ld/%lld a 64-bit long */
			long long v;
			if (len == 0)
				v = sgn ? (long long)(int32_t)a
					: (long long)(uint32_t)a;
			else
				v = (long long)a;
			n = sgn ? snprintf(tmp, sizeof(tmp), spec, v)
				: snprintf(tmp, sizeof(tmp), spec,
					   (unsigned long long)v);
		}
		if (n < 0)
			return -EINVAL;
		put(&o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n
						     : sizeof(tmp) - 1);
	}
	if (o.size)
		o.p[o.len < o.size ? o.len : o.size - 1] = '\0';
	return (int)o.len;
}
