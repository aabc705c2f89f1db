/* obj_int.h — the object model shared by the obj_*.c files (and only by
 * them): functions carved out of executable sections, programs, maps, BTF,
 * and the open context that carries diagnostics through the phases.
 *
 * Invariants once bpftk_object_open_mem has returned an object:
 *  - obj->elf stays open; every `const char *` borrowed from it (section and
 *    symbol names) lives as long as the object;
 *  - funcs are sorted by (section, offset), never overlap, and each lies in
 *    its section; prog->func and every piece refer to funcs;
 *  - every program's insns passed bpftk_isa_validate();
 *  - map indexes in relocated instructions and slots are < nmaps.
 */
#ifndef BPFTK_OBJ_INT_H
#define BPFTK_OBJ_INT_H

#include <stddef.h>
#include <stdint.h>

#include <bpftk/elf.h>
#include <bpftk/object.h>

#include "../util/util_int.h"

struct btf;

/* Largest global-data map value the loader accepts.  The kernel refuses
 * array values above KMALLOC_MAX_SIZE (4 MiB on x86-64); userspace runs can
 * use more, but a hostile object must not make us allocate gigabytes. */
#define OBJ_DATA_LIMIT (64u << 20)

/* Kernel map types the loader itself needs to recognise. */
enum {
	MAP_TYPE_ARRAY = 2,
	MAP_TYPE_PROG_ARRAY = 3,
	MAP_TYPE_ARRAY_OF_MAPS = 12,
	MAP_TYPE_HASH_OF_MAPS = 13,
};

/* What a section is to the loader. */
enum sec_kind {
	SEC_OTHER = 0,
	SEC_CODE,	 /* executable, holds functions */
	SEC_LEGACY_MAPS, /* "maps", "maps/..." */
	SEC_BTF_MAPS,	 /* ".maps" */
	SEC_DATA,	 /* global data with a map (sec_map) */
};

/* A call or function-pointer load inside a function, resolved to its
 * target function. */
struct obj_call {
	size_t at;   /* slot in the calling function */
	size_t func; /* target function */
	size_t off;  /* target slot inside the target function */
};

struct obj_func {
	const char *name; /* borrowed from the ELF (symbol or section name) */
	size_t sec;	  /* section index */
	size_t off;	  /* first slot in the section */
	size_t n;	  /* slots */
	int global;	  /* global or weak symbol */
	int entry;	  /* a program entry point */
	struct bpftk_insn *insns; /* copy, map references relocated */
	struct obj_call *calls;
	size_t ncalls, cap_calls;
};

/* A piece of a program: a function placed at a slot. */
struct obj_piece {
	size_t func;
	size_t at;
};

/* One .BTF.ext record mapped to a program slot. */
struct obj_line {
	size_t insn;
	size_t piece;
	const char *file, *text;
	uint32_t line, col;
};

struct bpftk_object_prog {
	struct bpftk_object *obj;
	size_t index;
	const char *name, *section; /* borrowed from the ELF */
	size_t func;		    /* entry function */
	enum bpftk_prog_type type;
	int attach_type;
	enum bpftk_sec_match match;
	struct bpftk_insn *insns;
	size_t n;
	struct obj_piece *pieces;
	size_t npieces;
	uint32_t *func_btf; /* per piece, from func_info */
	struct obj_line *lines;
	size_t nlines;
};

struct bpftk_object_map {
	char *name;
	long index; /* -1 for an inner template */
	enum bpftk_object_map_kind kind;
	const char *section; /* borrowed */
	size_t sec;	     /* section index (0 for kconfig) */
	uint64_t sec_off;    /* definition offset in its section */
	uint64_t def_size;   /* bytes of the definition */
	uint32_t type, key_size, value_size, max_entries, flags;
	uint32_t numa_node, pinning;
	uint64_t map_extra;
	uint32_t btf_key_type_id, btf_value_type_id;
	int has_spin_lock;	/* from the value's BTF */
	uint32_t spin_lock_off;
	uint32_t extra[4];
	size_t nextra;
	long inner_index;		  /* map of the list, or -1 */
	struct bpftk_object_map *inner;	  /* owned template, or NULL */
	struct bpftk_object_slot *slots;
	size_t nslots;
	uint8_t *data; /* initial value (global data), value_size bytes */
	uint32_t btf_var_type; /* BTF VAR of a .maps entry */
};

/* A kconfig extern: where lddw relocations against it point. */
struct obj_kcfg {
	const char *name; /* borrowed from BTF */
	uint32_t off, size, align;
};

struct obj_btf_ext;

struct bpftk_object {
	struct bpftk_elf *elf;
	char *name;
	char *filename;
	char *license;
	int has_version;
	uint32_t kversion;
	int big;

	size_t nsecs;
	enum sec_kind *sec_kind;
	long *sec_map; /* SEC_DATA: map index, else -1 */
	size_t text_sec; /* 0 = none */
	size_t btf_maps_sec;

	struct btf *btf;
	struct bpftk_object_btf_info btf_info;
	struct obj_btf_ext *ext;

	struct obj_func *funcs;
	size_t nfuncs;
	struct bpftk_object_prog *progs;
	size_t nprogs;
	struct bpftk_object_map *maps;
	size_t nmaps, cap_maps;
	struct obj_kcfg *kcfg;
	size_t nkcfg;
	long kcfg_map;
};

/* State of one open: where diagnostics go and whether any error was
 * reported (phases go on collecting errors, then the open fails). */
struct obj_ctx {
	struct bpftk_object *o;
	struct bpftk_diags *d;
	int errors;
	int nomem;
};

/* Reports an error at the file level, or at a program instruction when
 * prog is not NULL (insn -1 = none). */
BPFTK_INTERNAL void obj_err(struct obj_ctx *c, const char *prog, long insn,
			    const char *fmt, ...) BPFTK_PRINTF(4, 5);
BPFTK_INTERNAL void obj_warn(struct obj_ctx *c, const char *fmt, ...)
	BPFTK_PRINTF(2, 3);
/* Records an allocation failure; returns -ENOMEM. */
BPFTK_INTERNAL int obj_nomem(struct obj_ctx *c);
/* Name of symbol i for messages: its name, or its section's for unnamed
 * section symbols. */
BPFTK_INTERNAL const char *obj_sym_name(const struct bpftk_object *o,
					const struct bpftk_elf_sym *s);
BPFTK_INTERNAL const char *obj_sec_name(const struct bpftk_object *o,
					size_t sec);
/* libbpf's name for the map of a global-data section (obj_maps.c). */
BPFTK_INTERNAL char *obj_internal_name(const char *obj, const char *sec);
/* Appends a zeroed map to the list; NULL on allocation failure. */
BPFTK_INTERNAL struct bpftk_object_map *obj_map_add(struct obj_ctx *c);
BPFTK_INTERNAL void obj_map_clear(struct bpftk_object_map *m);

/* Phases, in the order bpftk_object_open_mem runs them (obj_open.c). */
BPFTK_INTERNAL int obj_btf_load(struct obj_ctx *c);	     /* obj_btf.c */
BPFTK_INTERNAL int obj_funcs_collect(struct obj_ctx *c);     /* obj_funcs.c */
BPFTK_INTERNAL int obj_legacy_maps(struct obj_ctx *c);	     /* obj_maps.c */
BPFTK_INTERNAL int obj_btf_maps(struct obj_ctx *c);	     /* obj_btf_maps.c */
BPFTK_INTERNAL int obj_data_maps(struct obj_ctx *c);	     /* obj_maps.c */
BPFTK_INTERNAL int obj_kconfig_map(struct obj_ctx *c);	     /* obj_btf_maps.c */
BPFTK_INTERNAL int obj_map_slots(struct obj_ctx *c);	     /* obj_btf_maps.c */
BPFTK_INTERNAL int obj_funcs_relocate(struct obj_ctx *c);    /* obj_reloc.c */
BPFTK_INTERNAL int obj_progs_link(struct obj_ctx *c);	     /* obj_link.c */
BPFTK_INTERNAL int obj_btf_ext_load(struct obj_ctx *c);	     /* obj_btf_ext.c */
BPFTK_INTERNAL int obj_btf_ext_apply(struct obj_ctx *c);     /* obj_btf_ext.c */
BPFTK_INTERNAL void obj_btf_free(struct bpftk_object *o);    /* obj_btf.c */
BPFTK_INTERNAL void obj_btf_ext_free(struct obj_btf_ext *x); /* obj_btf_ext.c */

/* BTF helpers (obj_btf.c): a DATASEC's id by name or 0; whether it holds a
 * non-static variable; a symbol's offset for a variable of section sec. */
BPFTK_INTERNAL uint32_t obj_btf_datasec(const struct bpftk_object *o,
					const char *name);
BPFTK_INTERNAL int obj_btf_datasec_has_global(const struct bpftk_object *o,
					      uint32_t id);
/* btf__resolve_size / btf__align_of without libbpf printing. */
BPFTK_INTERNAL long long obj_btf_size(const struct bpftk_object *o,
				      uint32_t id);
BPFTK_INTERNAL int obj_btf_align(const struct bpftk_object *o, uint32_t id);
BPFTK_INTERNAL long obj_sym_by_name(const struct bpftk_object *o,
				    const char *name, size_t sec);

#endif
