/* obj_maps.c — maps defined by bytes rather than by BTF: legacy "maps"
 * sections and the global-data sections.
 *
 * Legacy maps (libbpf < 1.0, the kernel samples' bpf_load.c, iproute2): a
 * "maps" (or "maps/...") section is an array of equally sized definitions,
 * one per symbol, the size being section size / symbol count.  Each starts
 * with struct bpf_map_def (type, key_size, value_size, max_entries,
 * map_flags: five u32 in the object's byte order); what follows depends on
 * who wrote it:
 *   28 bytes  the samples' bpf_load_map_def: inner_map_idx, numa_node
 *             (iproute2 before 4.15 used these bytes for id, pinning: the
 *             two readings are told apart by using inner_map_idx only for
 *             maps of maps and numa_node only with BPF_F_NUMA_NODE);
 *   36 bytes  iproute2's bpf_elf_map: id, pinning, inner_id, inner_idx;
 *   other     bytes past bpf_map_def must be zero (libbpf's rule).
 * Maps are numbered in offset order, which is what inner_map_idx counts.
 *
 * Global data: .data, .data.*, .rodata, .rodata.* and .bss become one-entry
 * array maps whose value is the section, named like libbpf names them (see
 * internal_name).  .rodata maps are read-only for programs; a section whose
 * BTF DATASEC holds a non-static variable is also mmapable, as in libbpf.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "obj_int.h"
#include "object_int.h"

#define BPF_F_NUMA_NODE 0x4u
#define OBJ_NAME_LEN 16 /* the kernel's BPF_OBJ_NAME_LEN */

struct defsym {
	const char *name;
	uint64_t off;
};

static int cmp_defsym(const void *a, const void *b)
{
	const struct defsym *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int is_map_in_map(uint32_t t)
{
	return t == MAP_TYPE_ARRAY_OF_MAPS || t == MAP_TYPE_HASH_OF_MAPS;
}

/* Fills m from the definition at p (def_sz bytes). */
static void read_def(struct obj_ctx *c, struct bpftk_object_map *m,
		     const uint8_t *p, size_t def_sz)
{
	uint32_t w[9] = {0};
	size_t words = def_sz / 4 < 9 ? def_sz / 4 : 9;
	for (size_t k = 0; k < words; k++)
		w[k] = (uint32_t)rd(p + 4 * k, 4, c->o->big);
	m->type = w[0];
	m->key_size = w[1];
	m->value_size = w[2];
	m->max_entries = w[3];
	m->flags = w[4];
	m->nextra = words > 5 ? words - 5 : 0;
	for (size_t k = 0; k < m->nextra; k++)
		m->extra[k] = w[5 + k];
	if (def_sz == 36)
		m->pinning = w[6];
	else if (def_sz == 28 && (m->flags & BPF_F_NUMA_NODE))
		m->numa_node = w[6];
	/* Anything past the layouts we know must be zero. */
	size_t known = (def_sz == 24 || def_sz == 28 || def_sz == 36) ? def_sz
								    : 20;
	for (size_t k = known; k < def_sz; k++)
		if (p[k]) {
			obj_err(c, NULL, -1,
				"legacy map '%s' in section '%s': definition "
				"of %zu bytes has unrecognised non-zero bytes "
				"past struct bpf_map_def (offset %zu)",
				m->name, m->section, def_sz, k);
			return;
		}
	if (known == 20)
		m->nextra = 0;
}

/* inner_map_idx (samples) or inner_id (iproute2), within one section. */
static void legacy_inner(struct obj_ctx *c, size_t first, size_t count,
			 size_t def_sz)
{
	struct bpftk_object *o = c->o;
	for (size_t i = first; i < first + count; i++) {
		struct bpftk_object_map *m = &o->maps[i];
		if (!is_map_in_map(m->type) || m->nextra == 0)
			continue;
		if (def_sz == 36) {
			uint32_t want = m->extra[2];
			for (size_t k = first; want && k < first + count; k++)
				if (k != i && o->maps[k].extra[0] == want)
					m->inner_index = (long)k;
			if (want && m->inner_index < 0)
				obj_warn(c,
					 "legacy map '%s': no map has the "
					 "inner_id %u it names",
					 m->name, want);
		} else if (m->extra[0] < count && first + m->extra[0] != i) {
			m->inner_index = (long)(first + m->extra[0]);
		} else {
			obj_warn(c,
				 "legacy map '%s': inner_map_idx %u does not "
				 "name another map of section '%s'",
				 m->name, m->extra[0], m->section);
		}
	}
}

static int legacy_section(struct obj_ctx *c, size_t sec)
{
	struct bpftk_object *o = c->o;
	struct bpftk_elf_shdr s;
	bpftk_elf_section(o->elf, sec, &s);
	size_t nsyms = bpftk_elf_symbol_count(o->elf), n = 0;
	struct defsym *v = bpftk_calloc(nsyms ? nsyms : 1, sizeof(*v));
	if (!v)
		return obj_nomem(c);
	for (size_t i = 1; i < nsyms; i++) {
		struct bpftk_elf_sym y;
		bpftk_elf_symbol(o->elf, i, &y);
		if (y.shndx != sec || y.type == BPFTK_STT_SECTION ||
		    y.type == BPFTK_STT_FILE)
			continue;
		v[n].name = y.name;
		v[n++].off = y.value;
	}
	int err = 0;
	if (n == 0 || s.size % n) {
		obj_err(c, NULL, -1,
			"legacy maps section '%s': cannot tell the definition "
			"size (%" PRIu64 " bytes, %zu map symbols)",
			s.name, s.size, n);
		goto out;
	}
	size_t def_sz = (size_t)(s.size / n);
	if (def_sz < 4) {
		obj_err(c, NULL, -1,
			"legacy maps section '%s': definitions of %zu bytes "
			"are too small to hold a map type",
			s.name, def_sz);
		goto out;
	}
	qsort(v, n, sizeof(*v), cmp_defsym);
	size_t first = o->nmaps;
	for (size_t k = 0; k < n; k++) {
		if (v[k].off > s.size - def_sz) {
			obj_err(c, NULL, -1,
				"legacy map '%s' at offset %" PRIu64
				" of section '%s' runs past its end (%zu-byte "
				"definitions, section of %" PRIu64 " bytes)",
				v[k].name, v[k].off, s.name, def_sz, s.size);
			continue;
		}
		if (k && v[k].off == v[k - 1].off) {
			obj_err(c, NULL, -1,
				"legacy maps '%s' and '%s' share offset %" PRIu64
				" of section '%s'",
				v[k - 1].name, v[k].name, v[k].off, s.name);
			continue;
		}
		struct bpftk_object_map *m = obj_map_add(c);
		if (!m) {
			err = -ENOMEM;
			goto out;
		}
		m->kind = BPFTK_OBJ_MAP_LEGACY;
		m->section = s.name;
		m->sec = sec;
		m->sec_off = v[k].off;
		m->def_size = def_sz;
		m->name = bpftk_strdup(v[k].name);
		if (!m->name) {
			err = obj_nomem(c);
			goto out;
		}
		read_def(c, m, s.data + v[k].off, def_sz);
	}
	if (!c->errors)
		legacy_inner(c, first, o->nmaps - first, def_sz);
out:
	bpftk_free(v);
	return err;
}

int obj_legacy_maps(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	for (size_t sec = 1; sec < o->nsecs; sec++) {
		if (o->sec_kind[sec] != SEC_LEGACY_MAPS)
			continue;
		int err = legacy_section(c, sec);
		if (err)
			return err;
	}
	return c->errors ? -EINVAL : 0;
}

/* libbpf's internal map names: up to 8 characters of the object name and
 * the section name, 15 in all ("my_objec.rodata"); sections named with a
 * second '.' (".rodata.str1.1") keep their own name only; characters the
 * kernel does not allow in names become '_'. */
static char *internal_name(const char *obj, const char *sec)
{
	size_t slen = strlen(sec), olen = strlen(obj);
	size_t sfx = slen > 7 ? slen : 7;
	if (olen > OBJ_NAME_LEN - 1)
		olen = OBJ_NAME_LEN - 1;
	size_t pfx = 0;
	if (!strchr(sec + 1, '.'))
		pfx = sfx + 1 <= OBJ_NAME_LEN && OBJ_NAME_LEN - sfx - 1 < olen
			      ? OBJ_NAME_LEN - sfx - 1
			      : olen;
	char buf[OBJ_NAME_LEN];
	size_t n = 0;
	for (size_t i = 0; i < pfx && n < OBJ_NAME_LEN - 1; i++)
		buf[n++] = obj[i];
	for (size_t i = 0; i < slen && i < sfx && n < OBJ_NAME_LEN - 1; i++)
		buf[n++] = sec[i];
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)buf[i]) && buf[i] != '_' &&
		    buf[i] != '.')
			buf[i] = '_';
	return bpftk_strdup(buf);
}

static enum bpftk_object_map_kind data_kind(const char *n)
{
	if (!strcmp(n, ".bss"))
		return BPFTK_OBJ_MAP_BSS;
	if (!strncmp(n, ".rodata", 7))
		return BPFTK_OBJ_MAP_RODATA;
	return BPFTK_OBJ_MAP_DATA;
}

int obj_data_maps(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	for (size_t sec = 1; sec < o->nsecs; sec++) {
		if (o->sec_kind[sec] != SEC_DATA)
			continue;
		struct bpftk_elf_shdr s;
		bpftk_elf_section(o->elf, sec, &s);
		if (s.size > OBJ_DATA_LIMIT) {
			obj_err(c, NULL, -1,
				"data section '%s' of %" PRIu64
				" bytes is too large for a map value (the "
				"loader's limit is %u bytes)",
				s.name, s.size, OBJ_DATA_LIMIT);
			continue;
		}
		struct bpftk_object_map *m = obj_map_add(c);
		if (!m)
			return -ENOMEM;
		o->sec_map[sec] = m->index;
		m->kind = data_kind(s.name);
		m->section = s.name;
		m->sec = sec;
		m->def_size = s.size;
		m->type = MAP_TYPE_ARRAY;
		m->key_size = 4;
		m->value_size = (uint32_t)s.size;
		m->max_entries = 1;
		if (m->kind == BPFTK_OBJ_MAP_RODATA)
			m->flags |= BPFTK_MAP_F_RDONLY_PROG;
		m->btf_value_type_id = obj_btf_datasec(o, s.name);
		if (m->btf_value_type_id &&
		    obj_btf_datasec_has_global(o, m->btf_value_type_id))
			m->flags |= BPFTK_MAP_F_MMAPABLE;
		m->name = internal_name(o->name, s.name);
		m->data = bpftk_calloc((size_t)s.size, 1);
		if (!m->name || !m->data)
			return obj_nomem(c);
		if (s.data)
			memcpy(m->data, s.data, (size_t)s.size);
	}
	return c->errors ? -EINVAL : 0;
}

char *obj_internal_name(const char *obj, const char *sec)
{
	return internal_name(obj, sec);
}
