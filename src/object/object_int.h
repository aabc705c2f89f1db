/* object_int.h — what only src/object may use: the ELF64 on-disk layout
 * (sizes and field offsets of the headers we read and write) and
 * byte-order-explicit loads and stores.
 *
 * Invariant: ELF structures are never accessed through C structs overlaid
 * on file bytes (alignment, padding and byte order would all leak in); every
 * field is read or written with rd/wr at its documented offset, in the byte
 * order of the object.
 */
#ifndef BPFTK_OBJECT_INT_H
#define BPFTK_OBJECT_INT_H

#include <stddef.h>
#include <stdint.h>

/* e_ident */
#define ELF_MAG "\177ELF"
#define ELF_EI_CLASS 4
#define ELF_EI_DATA 5
#define ELF_EI_VERSION 6
#define ELF_EI_OSABI 7
#define ELF_CLASS64 2
#define ELF_DATA2LSB 1
#define ELF_DATA2MSB 2
#define ELF_EV_CURRENT 1
#define ELF_ET_REL 1
#define ELF_EM_BPF 247

/* Elf64_Ehdr: 64 bytes */
#define EHDR_SIZE 64
#define EH_TYPE 16	/* u16 */
#define EH_MACHINE 18	/* u16 */
#define EH_VERSION 20	/* u32 */
#define EH_SHOFF 40	/* u64 */
#define EH_FLAGS 48	/* u32 */
#define EH_EHSIZE 52	/* u16 */
#define EH_SHENTSIZE 58 /* u16 */
#define EH_SHNUM 60	/* u16 */
#define EH_SHSTRNDX 62	/* u16 */

/* Elf64_Shdr: 64 bytes */
#define SHDR_SIZE 64
#define SH_NAME 0	  /* u32 */
#define SH_TYPE 4	  /* u32 */
#define SH_FLAGS 8	  /* u64 */
#define SH_ADDR 16	  /* u64 */
#define SH_OFFSET 24	  /* u64 */
#define SH_SIZE 32	  /* u64 */
#define SH_LINK 40	  /* u32 */
#define SH_INFO 44	  /* u32 */
#define SH_ADDRALIGN 48	  /* u64 */
#define SH_ENTSIZE 56	  /* u64 */

/* Elf64_Sym: 24 bytes */
#define SYM_SIZE 24
#define ST_NAME 0  /* u32 */
#define ST_INFO 4  /* u8: bind << 4 | type */
#define ST_OTHER 5 /* u8 */
#define ST_SHNDX 6 /* u16 */
#define ST_VALUE 8 /* u64 */
#define ST_SIZE 16 /* u64 */

/* Elf64_Rel: 16 bytes, Elf64_Rela: 24 bytes */
#define REL_SIZE 16
#define RELA_SIZE 24
#define R_OFFSET 0  /* u64 */
#define R_INFO 8    /* u64: sym << 32 | type */
#define R_ADDEND 16 /* i64 */

/* Special section indexes */
#define ELF_SHN_UNDEF 0
#define ELF_SHN_LORESERVE 0xff00
#define ELF_SHN_ABS 0xfff1
#define ELF_SHN_COMMON 0xfff2
#define ELF_SHN_XINDEX 0xffff

static inline uint64_t rd(const uint8_t *p, unsigned bytes, int big)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[big ? bytes - 1 - i : i] << (8 * i);
	return v;
}

static inline void wr(uint8_t *p, unsigned bytes, int big, uint64_t v)
{
	for (unsigned i = 0; i < bytes; i++)
		p[big ? bytes - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

#endif
