/* bpftk/object.h — BPF objects as clang and gcc build them for libbpf,
 * opened without a kernel: programs, maps, global data, relocations, BTF and
 * line info.  This describes what the object asks for; creating maps and
 * loading programs are later steps (maps.h, vm.h) that read this model.
 *
 * What opening does (the conventions are libbpf's; where we differ on
 * purpose it is said below):
 *  - programs: every function of an executable section other than .text is a
 *    program entry point (several per section when the section holds several
 *    global functions); .text functions are subprograms, appended to every
 *    program that calls them (transitively) with the call and function-
 *    pointer instructions fixed up, the way libbpf does before loading.
 *    An object whose only code is in .text (older test objects) has its
 *    global .text functions as programs; libbpf does this only when .text
 *    holds a single function.  Sections without function symbols (old clang)
 *    are one program named after the global symbol at their start.
 *  - program types come from section names (libbpf's section table, see
 *    bpftk_object_sec_type()), with the kernel's numbers;
 *  - maps: legacy `maps` / `maps/...` sections (struct bpf_map_def and the
 *    28- and 36-byte variants of the kernel samples and iproute2), BTF-
 *    defined `.maps` (including `values` of map-in-map and program arrays),
 *    global data `.data`, `.data.*`, `.rodata`, `.rodata.*`, `.bss` as
 *    one-entry array maps holding their initial bytes, and `.kconfig`
 *    externs; map order and names follow libbpf (legacy maps, BTF maps,
 *    data sections in section order, kconfig);
 *  - relocations: a 64-bit load of a map becomes src = BPFTK_PSEUDO_MAP_IDX,
 *    imm = map index; of global data src = BPFTK_PSEUDO_MAP_IDX_VALUE,
 *    imm = map index, next imm = offset in the value; of a function
 *    src = BPFTK_PSEUDO_FUNC with a relative imm like a local call;
 *  - every final program passes bpftk_isa_validate().
 * Anything malformed rejects the whole object with messages that name the
 * file, section, program, instruction and symbol involved.
 *
 * Ownership: the object owns everything reachable from it; program and map
 * handles and every string or array they return are borrowed and live until
 * bpftk_object_close().
 *
 * Threads: objects may be opened in several threads at once.  .BTF is
 * parsed with libbpf, whose process-wide print callback is swapped for a
 * silent one meanwhile (under a lock), so libbpf messages other threads
 * cause during that moment are not printed.  Not supported: CO-RE
 * relocations (counted, not applied), .struct_ops maps, __ksym externs
 * (a relocation against one is an error).
 *
 * Errors: 0 (or a count) on success, or a negative errno: -EINVAL the object
 * is malformed or uses something unsupported (details in the diagnostics),
 * -ENOMEM, -ENOENT not found, -ERANGE index out of range, -EIO the file could
 * not be read.
 */
#ifndef BPFTK_OBJECT_H
#define BPFTK_OBJECT_H

#include <bpftk/common.h>
#include <bpftk/elf.h>
#include <bpftk/isa.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- program types -------------------------------------------------------
 * The kernel's enum bpf_prog_type, same numbers. */
enum bpftk_prog_type {
	BPFTK_PROG_TYPE_UNSPEC = 0,
	BPFTK_PROG_TYPE_SOCKET_FILTER = 1,
	BPFTK_PROG_TYPE_KPROBE = 2,
	BPFTK_PROG_TYPE_SCHED_CLS = 3,
	BPFTK_PROG_TYPE_SCHED_ACT = 4,
	BPFTK_PROG_TYPE_TRACEPOINT = 5,
	BPFTK_PROG_TYPE_XDP = 6,
	BPFTK_PROG_TYPE_PERF_EVENT = 7,
	BPFTK_PROG_TYPE_CGROUP_SKB = 8,
	BPFTK_PROG_TYPE_CGROUP_SOCK = 9,
	BPFTK_PROG_TYPE_LWT_IN = 10,
	BPFTK_PROG_TYPE_LWT_OUT = 11,
	BPFTK_PROG_TYPE_LWT_XMIT = 12,
	BPFTK_PROG_TYPE_SOCK_OPS = 13,
	BPFTK_PROG_TYPE_SK_SKB = 14,
	BPFTK_PROG_TYPE_CGROUP_DEVICE = 15,
	BPFTK_PROG_TYPE_SK_MSG = 16,
	BPFTK_PROG_TYPE_RAW_TRACEPOINT = 17,
	BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR = 18,
	BPFTK_PROG_TYPE_LWT_SEG6LOCAL = 19,
	BPFTK_PROG_TYPE_LIRC_MODE2 = 20,
	BPFTK_PROG_TYPE_SK_REUSEPORT = 21,
	BPFTK_PROG_TYPE_FLOW_DISSECTOR = 22,
	BPFTK_PROG_TYPE_CGROUP_SYSCTL = 23,
	BPFTK_PROG_TYPE_RAW_TRACEPOINT_WRITABLE = 24,
	BPFTK_PROG_TYPE_CGROUP_SOCKOPT = 25,
	BPFTK_PROG_TYPE_TRACING = 26,
	BPFTK_PROG_TYPE_STRUCT_OPS = 27,
	BPFTK_PROG_TYPE_EXT = 28,
	BPFTK_PROG_TYPE_LSM = 29,
	BPFTK_PROG_TYPE_SK_LOOKUP = 30,
	BPFTK_PROG_TYPE_SYSCALL = 31,
	BPFTK_PROG_TYPE_NETFILTER = 32,
	BPFTK_PROG_TYPE__COUNT
};

/* How a section name gave its program type. */
enum bpftk_sec_match {
	BPFTK_SEC_MATCH_NONE = 0,   /* no convention: BPFTK_PROG_TYPE_UNSPEC */
	BPFTK_SEC_MATCH_EXACT = 1,  /* as libbpf >= 1.0 matches it */
	BPFTK_SEC_MATCH_LEGACY = 2, /* only by the name-prefix rule of libbpf
				     * < 1.0 and the kernel samples' loader
				     * ("xdp1", "socket1", "xdp_prog/0") */
};

/* Program type of a section name.  Fills *type (UNSPEC when nothing
 * matches) and *attach_type (the kernel's enum bpf_attach_type the section
 * implies, -1 when it implies none); either may be NULL. */
BPFTK_API enum bpftk_sec_match
bpftk_object_sec_type(const char *section, enum bpftk_prog_type *type,
		      int *attach_type);
/* Lower-case names as libbpf and bpftool print them ("xdp",
 * "socket_filter"; "hash", "percpu_array"), or NULL when unknown.  Static
 * storage. */
BPFTK_API const char *bpftk_object_prog_type_name(enum bpftk_prog_type t);
BPFTK_API const char *bpftk_object_map_type_name(uint32_t map_type);

/* ---- opening -------------------------------------------------------------- */

struct bpftk_object;
struct bpftk_object_prog;
struct bpftk_object_map;

/* Options: zero-initialise, set sz = sizeof(struct bpftk_object_opts),
 * then the fields you need.  Older (smaller) structs are accepted; larger
 * ones when the bytes this version does not know are zero (else -EINVAL). */
struct bpftk_object_opts {
	size_t sz; /* sizeof(struct bpftk_object_opts) */
	/* Object name, the prefix of global-data map names ("myobj.rodata").
	 * Default: the file's base name up to its first '.', truncated to 15
	 * characters like libbpf; "obj" for memory without a filename. */
	const char *object_name;
	/* Name used in messages by bpftk_object_open_mem (default
	 * "<memory>"); open_file uses the path. */
	const char *filename;
};

/* Opens an object held in memory (the bytes are copied).  opts may be
 * NULL.  On success *out is an object to close with bpftk_object_close();
 * on failure *out is NULL, the reasons are in d (each error as
 * "file.o: error: ..." or "file.o: prog 'p' insn 5: error: ..."). */
BPFTK_API int bpftk_object_open_mem(const void *data, size_t len,
				    const struct bpftk_object_opts *opts,
				    struct bpftk_object **out,
				    struct bpftk_diags *d);
/* The same for a file; -EIO (reported to d) when it cannot be read. */
BPFTK_API int bpftk_object_open_file(const char *path,
				     const struct bpftk_object_opts *opts,
				     struct bpftk_object **out,
				     struct bpftk_diags *d);
/* Frees the object and everything borrowed from it; NULL is a no-op. */
BPFTK_API void bpftk_object_close(struct bpftk_object *o);

BPFTK_API const char *bpftk_object_name(const struct bpftk_object *o);
BPFTK_API const char *bpftk_object_filename(const struct bpftk_object *o);
/* The ELF view of the same object (sections, symbols, raw relocations). */
BPFTK_API const struct bpftk_elf *bpftk_object_elf(const struct bpftk_object *o);
/* Contents of the "license" section up to its first NUL, or NULL. */
BPFTK_API const char *bpftk_object_license(const struct bpftk_object *o);
/* The u32 of the "version" section: 0 and *version, or -ENOENT. */
BPFTK_API int bpftk_object_kversion(const struct bpftk_object *o,
				    uint32_t *version);

/* ---- programs --------------------------------------------------------------
 * In section order, and by offset within a section. */
BPFTK_API size_t bpftk_object_prog_count(const struct bpftk_object *o);
/* NULL when i is out of range. */
BPFTK_API const struct bpftk_object_prog *
bpftk_object_prog_at(const struct bpftk_object *o, size_t i);
/* By function name; NULL when none. */
BPFTK_API const struct bpftk_object_prog *
bpftk_object_prog_find(const struct bpftk_object *o, const char *name);

BPFTK_API size_t bpftk_object_prog_index(const struct bpftk_object_prog *p);
BPFTK_API const char *bpftk_object_prog_name(const struct bpftk_object_prog *p);
BPFTK_API const char *
bpftk_object_prog_section(const struct bpftk_object_prog *p);
BPFTK_API enum bpftk_prog_type
bpftk_object_prog_type(const struct bpftk_object_prog *p);
/* Kernel enum bpf_attach_type implied by the section, or -1. */
BPFTK_API int bpftk_object_prog_attach_type(const struct bpftk_object_prog *p);
BPFTK_API enum bpftk_sec_match
bpftk_object_prog_sec_match(const struct bpftk_object_prog *p);
/* The final instructions: relocated, subprograms appended.  *n gets the
 * slot count (lddw counts two). */
BPFTK_API const struct bpftk_insn *
bpftk_object_prog_insns(const struct bpftk_object_prog *p, size_t *n);
/* Slots of the entry function itself, before subprograms were appended
 * (what libbpf's bpf_program__insn_cnt() reports after open). */
BPFTK_API size_t
bpftk_object_prog_main_insn_cnt(const struct bpftk_object_prog *p);
/* Byte offset of the entry function in its section. */
BPFTK_API size_t
bpftk_object_prog_section_offset(const struct bpftk_object_prog *p);

/* The functions making up a program: [0] is the entry function, then each
 * appended subprogram at its place in the final instructions. */
struct bpftk_object_func {
	const char *name;     /* ELF symbol (or section) name */
	const char *section;  /* section it came from */
	size_t insn;	      /* first slot in the program */
	size_t n;	      /* slots */
	uint32_t btf_type_id; /* BTF FUNC from .BTF.ext func_info, 0 = none */
};
BPFTK_API size_t
bpftk_object_prog_func_count(const struct bpftk_object_prog *p);
BPFTK_API int bpftk_object_prog_func(const struct bpftk_object_prog *p,
				     size_t i, struct bpftk_object_func *f);

/* Source position of an instruction from .BTF.ext line_info: the last
 * record at or before insn within the same function.  Returns 0, or
 * -ENOENT when the object has no line info there. */
struct bpftk_object_line {
	const char *file; /* source file as the compiler recorded it */
	const char *text; /* that source line's text ("" when absent) */
	uint32_t line;	  /* 1-based */
	uint32_t col;	  /* 1-based, 0 = unknown */
	size_t insn;	  /* first slot the record covers */
};
BPFTK_API int bpftk_object_prog_line(const struct bpftk_object_prog *p,
				     size_t insn,
				     struct bpftk_object_line *line);
/* All line records of the program in instruction order. */
BPFTK_API size_t
bpftk_object_prog_line_count(const struct bpftk_object_prog *p);
BPFTK_API int bpftk_object_prog_line_at(const struct bpftk_object_prog *p,
					size_t i,
					struct bpftk_object_line *line);

/* ---- maps ------------------------------------------------------------------ */

enum bpftk_object_map_kind {
	BPFTK_OBJ_MAP_LEGACY = 0, /* definition struct in a "maps" section */
	BPFTK_OBJ_MAP_BTF = 1,	  /* BTF-defined, ".maps" */
	BPFTK_OBJ_MAP_DATA = 2,	  /* ".data", ".data.*" */
	BPFTK_OBJ_MAP_RODATA = 3, /* ".rodata", ".rodata.*" */
	BPFTK_OBJ_MAP_BSS = 4,	  /* ".bss" */
	BPFTK_OBJ_MAP_KCONFIG = 5 /* extern ... __kconfig variables */
};

/* Kernel map flags the loader sets on global-data maps. */
#define BPFTK_MAP_F_RDONLY_PROG 0x80u
#define BPFTK_MAP_F_MMAPABLE 0x400u

BPFTK_API size_t bpftk_object_map_count(const struct bpftk_object *o);
BPFTK_API const struct bpftk_object_map *
bpftk_object_map_at(const struct bpftk_object *o, size_t i);
BPFTK_API const struct bpftk_object_map *
bpftk_object_map_find(const struct bpftk_object *o, const char *name);

/* Index in the object's map list (the imm of BPFTK_PSEUDO_MAP_IDX), or -1
 * for an inner-map template (see bpftk_object_map_inner). */
BPFTK_API long bpftk_object_map_index(const struct bpftk_object_map *m);
BPFTK_API const char *bpftk_object_map_name(const struct bpftk_object_map *m);
BPFTK_API enum bpftk_object_map_kind
bpftk_object_map_kind(const struct bpftk_object_map *m);
/* Section the definition or data came from ("" for kconfig). */
BPFTK_API const char *
bpftk_object_map_section(const struct bpftk_object_map *m);
/* Kernel enum bpf_map_type number. */
BPFTK_API uint32_t bpftk_object_map_type(const struct bpftk_object_map *m);
BPFTK_API uint32_t bpftk_object_map_key_size(const struct bpftk_object_map *m);
BPFTK_API uint32_t
bpftk_object_map_value_size(const struct bpftk_object_map *m);
BPFTK_API uint32_t
bpftk_object_map_max_entries(const struct bpftk_object_map *m);
BPFTK_API uint32_t bpftk_object_map_flags(const struct bpftk_object_map *m);
BPFTK_API uint32_t bpftk_object_map_numa_node(const struct bpftk_object_map *m);
/* 0 none, 1 by name (LIBBPF_PIN_BY_NAME), or iproute2's PIN_* value. */
BPFTK_API uint32_t bpftk_object_map_pinning(const struct bpftk_object_map *m);
BPFTK_API uint64_t bpftk_object_map_extra(const struct bpftk_object_map *m);
/* BTF ids of the key and value types (0 = none). */
BPFTK_API uint32_t
bpftk_object_map_btf_key_type_id(const struct bpftk_object_map *m);
BPFTK_API uint32_t
bpftk_object_map_btf_value_type_id(const struct bpftk_object_map *m);
/* Offset of the struct bpf_spin_lock in a value (found in the value's
 * BTF, as the kernel finds it), or -1 when the value holds none. */
BPFTK_API int64_t
bpftk_object_map_spin_lock_off(const struct bpftk_object_map *m);
/* Fields of a legacy definition beyond struct bpf_map_def (iproute2's id,
 * pinning, inner_id, inner_idx; the samples' inner_map_idx, numa_node), as
 * u32 words in the object's order; *n gets their count (0..4). */
BPFTK_API const uint32_t *
bpftk_object_map_legacy_extra(const struct bpftk_object_map *m, size_t *n);

/* The inner-map definition of a map of maps: a map of the list (legacy
 * inner_map_idx / inner_id) or a template owned by the outer map (BTF
 * `values`, index -1, named "<outer>.inner").  NULL when none. */
BPFTK_API const struct bpftk_object_map *
bpftk_object_map_inner(const struct bpftk_object_map *m);

/* Initial contents of a global-data map: value_size bytes (zeros for .bss
 * and kconfig).  NULL with *len = 0 for other maps. */
BPFTK_API const void *bpftk_object_map_initial_data(
	const struct bpftk_object_map *m, size_t *len);

/* Initial slots of BTF `values` (map of maps and program arrays). */
enum bpftk_object_slot_kind {
	BPFTK_OBJ_SLOT_NONE = 0, /* left empty */
	BPFTK_OBJ_SLOT_MAP = 1,	 /* index into the object's maps */
	BPFTK_OBJ_SLOT_PROG = 2, /* index into the object's programs */
};
struct bpftk_object_slot {
	enum bpftk_object_slot_kind kind;
	size_t index;
};
BPFTK_API size_t bpftk_object_map_slot_count(const struct bpftk_object_map *m);
BPFTK_API int bpftk_object_map_slot(const struct bpftk_object_map *m,
				    size_t i, struct bpftk_object_slot *s);

/* ---- BTF ------------------------------------------------------------------- */

struct btf; /* libbpf's, see <bpf/btf.h> */

struct bpftk_object_btf_info {
	int present;	    /* .BTF parsed */
	uint32_t types;	    /* types, not counting void */
	uint32_t str_size;  /* bytes of the string section */
	size_t size;	    /* bytes of .BTF */
	int ext_present;    /* .BTF.ext parsed */
	size_t func_info;   /* records in .BTF.ext */
	size_t line_info;
	size_t core_relo;
};
BPFTK_API void bpftk_object_btf_info(const struct bpftk_object *o,
				     struct bpftk_object_btf_info *info);
/* The parsed .BTF (libbpf's handle, owned by the object), or NULL. */
BPFTK_API const struct btf *bpftk_object_btf(const struct bpftk_object *o);

#ifdef __cplusplus
}
#endif
#endif
