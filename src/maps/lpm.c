/* lpm.c — the longest-prefix-match trie (BPF_MAP_TYPE_LPM_TRIE).
 *
 * Keys are struct bpf_lpm_trie_key: a 32-bit host-order prefix length and
 * data_size = key_size - 4 bytes compared bit by bit from the most
 * significant bit of data[0].  The structure is the kernel's: a binary
 * trie with path compression where every node holds a prefix, real nodes
 * carry a value and intermediate nodes (made where two prefixes branch)
 * have exactly two children.  The shape depends only on the set of
 * prefixes, so get_next_key walks it in the kernel's order: post-order,
 * child 0 before child 1 (more specific prefixes first).
 *
 * Nodes come from a free list and are never freed before the map, so a
 * value pointer a program got from a lookup never dangles; an update of an
 * existing prefix writes the node in place (with the data bytes of the new
 * key, as Linux keeps them).  A reader-writer lock guards the trie.
 */
#include <pthread.h>

#include "maps_int.h"

#define LPM_FLAG_IM 1u

struct node {
	struct node *child[2];
	uint32_t prefixlen;
	uint32_t flags;
	/* data (data_size, padded to 8) then the value */
};
#define DATA_OFF ((uint32_t)MAPS_ROUND8(sizeof(struct node)))

struct lpm {
	struct bpftk_map map;
	pthread_rwlock_t lock;
	struct node *root;
	struct node *free;    /* recycled nodes, linked through child[0] */
	struct node **all;    /* every node ever allocated, to free them */
	size_t nall, capall;
	uint32_t data_size, max_prefixlen, n_entries;
	uint32_t val_off;
	size_t node_size;
};

#define LPM_FLAGS (BPFTK_F_NO_PREALLOC | BPFTK_F_NUMA_NODE | MAPS_F_ACCESS)
#define LPM_DATA_MAX 256u

static struct lpm *lp(struct bpftk_map *m)
{
	return (struct lpm *)m;
}

static unsigned char *ndata(struct node *n)
{
	return (unsigned char *)n + DATA_OFF;
}

/* ---- creation ---- */

static int lpm_check(const struct bpftk_map_create_opts *o, unsigned ncpus,
		     struct bpftk_diags *d)
{
	uint32_t val_max = MAPS_KMALLOC_MAX - LPM_DATA_MAX - MAPS_LPM_NODE_SIZE;
	(void)ncpus;
	if (!o->max_entries)
		return maps_reject(d, o, -EINVAL, "max_entries must be > 0");
	if (!(o->map_flags & BPFTK_F_NO_PREALLOC))
		return maps_reject(d, o, -EINVAL,
				   "LPM tries need BPF_F_NO_PREALLOC");
	if ((o->map_flags & ~LPM_FLAGS) || !maps_access_ok(o->map_flags))
		return maps_reject(d, o, -EINVAL,
				   "map_flags 0x%x not allowed for LPM tries",
				   o->map_flags);
	if (o->key_size < 4 + 1 || o->key_size > 4 + LPM_DATA_MAX)
		return maps_reject(d, o, -EINVAL,
				   "LPM keys are 4 bytes of prefix length and "
				   "1..256 bytes of data, not %u bytes",
				   o->key_size);
	if (o->value_size < 1 || o->value_size > val_max)
		return maps_reject(d, o, -EINVAL,
				   "value_size must be 1..%u", val_max);
	return 0;
}

static void lpm_free(struct bpftk_map *m)
{
	struct lpm *t = lp(m);
	for (size_t i = 0; i < t->nall; i++)
		bpftk_free(t->all[i]);
	bpftk_free(t->all);
	pthread_rwlock_destroy(&t->lock);
	bpftk_free(t);
}

static int lpm_alloc(const struct bpftk_map *proto, struct bpftk_map **out)
{
	struct lpm *t = bpftk_calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (pthread_rwlock_init(&t->lock, NULL)) {
		bpftk_free(t);
		return -ENOMEM;
	}
	t->map = *proto;
	t->data_size = proto->key_size - 4;
	t->max_prefixlen = t->data_size * 8;
	t->val_off = DATA_OFF + (uint32_t)MAPS_ROUND8(t->data_size);
	t->node_size = t->val_off + proto->stride;
	*out = &t->map;
	return 0;
}

/* A node from the free list or the allocator (write lock held). */
static struct node *node_get(struct lpm *t)
{
	struct node *n = t->free;
	if (n) {
		t->free = n->child[0];
	} else {
		if (t->nall == t->capall) {
			size_t cap = t->capall ? 2 * t->capall : 16;
			struct node **all =
				bpftk_realloc(t->all, cap * sizeof(*all));
			if (!all)
				return NULL;
			t->all = all;
			t->capall = cap;
		}
		n = bpftk_calloc(1, t->node_size);
		if (!n)
			return NULL;
		t->all[t->nall++] = n;
	}
	n->child[0] = n->child[1] = NULL;
	n->flags = 0;
	return n;
}

static void node_put(struct lpm *t, struct node *n)
{
	n->child[0] = t->free;
	n->child[1] = NULL;
	t->free = n;
}

/* ---- bits ---- */

static uint32_t key_prefixlen(const void *key)
{
	uint32_t p;
	memcpy(&p, key, 4);
	return p;
}

static const unsigned char *key_data(const void *key)
{
	return (const unsigned char *)key + 4;
}

static unsigned extract_bit(const unsigned char *data, uint32_t i)
{
	return (data[i / 8] >> (7 - i % 8)) & 1;
}

/* How many leading bits of the node's prefix the key shares, at most
 * min(node prefix, key prefix). */
static uint32_t match_len(const struct lpm *t, struct node *n,
			  const void *key)
{
	uint32_t limit = n->prefixlen < key_prefixlen(key) ? n->prefixlen
							    : key_prefixlen(key);
	const unsigned char *a = ndata(n), *b = key_data(key);
	uint32_t len = 0;
	(void)t;
	for (uint32_t i = 0; len < limit; i++) {
		unsigned char diff = a[i] ^ b[i];
		if (diff) {
			while (!(diff & 0x80)) {
				diff <<= 1;
				len++;
			}
			break;
		}
		len += 8;
	}
	return len < limit ? len : limit;
}

/* ---- commands ---- */

/* The longest matching real node (read lock held).  Like Linux, a key
 * longer than the trie's prefixes matches nothing. */
static struct node *longest_match(struct lpm *t, const void *key)
{
	struct node *found = NULL, *n = t->root;
	if (key_prefixlen(key) > t->max_prefixlen)
		return NULL;
	while (n) {
		uint32_t ml = match_len(t, n, key);
		if (ml == t->max_prefixlen) {
			found = n;
			break;
		}
		if (ml < n->prefixlen)
			break;
		if (!(n->flags & LPM_FLAG_IM))
			found = n;
		n = n->child[extract_bit(key_data(key), n->prefixlen)];
	}
	return found;
}

static int lpm_sys_lookup(struct bpftk_map *m, const void *key, void *value,
			  uint64_t flags)
{
	struct lpm *t = lp(m);
	struct node *n;
	(void)flags;
	pthread_rwlock_rdlock(&t->lock);
	n = longest_match(t, key);
	if (n)
		maps_value_out(value, (unsigned char *)n + t->val_off,
			       m->value_size, -1, 0);
	pthread_rwlock_unlock(&t->lock);
	return n ? 0 : -ENOENT;
}

static void *lpm_lookup(struct bpftk_map *m, const void *key, unsigned cpu)
{
	struct lpm *t = lp(m);
	struct node *n;
	(void)cpu;
	pthread_rwlock_rdlock(&t->lock);
	n = longest_match(t, key);
	pthread_rwlock_unlock(&t->lock);
	return n ? (unsigned char *)n + t->val_off : NULL;
}

/* trie_check_add_elem */
static int may_add(struct lpm *t, uint64_t flags)
{
	if (flags == BPFTK_EXIST)
		return -ENOENT;
	if (t->n_entries == t->map.max_entries)
		return -ENOSPC;
	return 0;
}

static void fill(struct lpm *t, struct node *n, const void *key,
		 const void *value)
{
	n->prefixlen = key_prefixlen(key);
	memcpy(ndata(n), key_data(key), t->data_size);
	maps_value_in((unsigned char *)n + t->val_off, value, t->map.value_size,
		      -1, 0);
}

static int update_locked(struct lpm *t, const void *key, const void *value,
			 uint64_t flags)
{
	struct node **slot = &t->root, *n, *nn, *im;
	uint32_t ml = 0, plen = key_prefixlen(key);
	int err;

	/* walk down while the node's whole prefix matches and is shorter */
	while ((n = *slot)) {
		ml = match_len(t, n, key);
		if (n->prefixlen != ml || n->prefixlen == plen)
			break;
		slot = &n->child[extract_bit(key_data(key), n->prefixlen)];
	}
	if (!n) {
		if ((err = may_add(t, flags)))
			return err;
		if (!(nn = node_get(t)))
			return -ENOMEM;
		fill(t, nn, key, value);
		*slot = nn;
		t->n_entries++;
		return 0;
	}
	if (n->prefixlen == ml) {
		/* the same prefix: replace the value in place */
		if (!(n->flags & LPM_FLAG_IM)) {
			if (flags == BPFTK_NOEXIST)
				return -EEXIST;
		} else {
			if ((err = may_add(t, flags)))
				return err;
			t->n_entries++;
		}
		fill(t, n, key, value);
		n->flags &= ~LPM_FLAG_IM;
		return 0;
	}
	if ((err = may_add(t, flags)))
		return err;
	if (!(nn = node_get(t)))
		return -ENOMEM;
	if (ml == plen) {
		/* the new prefix is an ancestor of n */
		fill(t, nn, key, value);
		nn->child[extract_bit(ndata(n), ml)] = n;
		*slot = nn;
		t->n_entries++;
		return 0;
	}
	/* they branch at bit ml: an intermediate node joins them */
	if (!(im = node_get(t))) {
		node_put(t, nn);
		return -ENOMEM;
	}
	fill(t, nn, key, value);
	im->prefixlen = ml;
	im->flags = LPM_FLAG_IM;
	memcpy(ndata(im), ndata(n), t->data_size);
	if (extract_bit(key_data(key), ml)) {
		im->child[0] = n;
		im->child[1] = nn;
	} else {
		im->child[0] = nn;
		im->child[1] = n;
	}
	*slot = im;
	t->n_entries++;
	return 0;
}

static int lpm_update(struct bpftk_map *m, const void *key, const void *value,
		      uint64_t flags, unsigned cpu)
{
	struct lpm *t = lp(m);
	int err;
	(void)cpu;
	if (flags > BPFTK_EXIST)
		return -EINVAL;
	if (key_prefixlen(key) > t->max_prefixlen)
		return -EINVAL;
	pthread_rwlock_wrlock(&t->lock);
	err = update_locked(t, key, value, flags);
	pthread_rwlock_unlock(&t->lock);
	return err;
}

static int lpm_sys_update(struct bpftk_map *m, const void *key,
			  const void *value, uint64_t flags)
{
	return lpm_update(m, key, value, flags, 0);
}

static int delete_locked(struct lpm *t, const void *key)
{
	struct node **trim = &t->root, **trim2 = &t->root;
	struct node *n, *parent = NULL;
	uint32_t ml = 0, plen = key_prefixlen(key);

	/* find the exact prefix, remembering the path's last two slots */
	for (n = *trim; n; n = *trim) {
		ml = match_len(t, n, key);
		if (n->prefixlen != ml || n->prefixlen == plen)
			break;
		parent = n;
		trim2 = trim;
		trim = &n->child[extract_bit(key_data(key), n->prefixlen)];
	}
	if (!n || n->prefixlen != plen || n->prefixlen != ml ||
	    (n->flags & LPM_FLAG_IM))
		return -ENOENT;
	t->n_entries--;
	/* two children: the node stays as an intermediate one */
	if (n->child[0] && n->child[1]) {
		n->flags |= LPM_FLAG_IM;
		return 0;
	}
	/* a leaf under an intermediate parent: the parent goes too, its
	 * other child takes its place (intermediate nodes keep two children) */
	if (parent && (parent->flags & LPM_FLAG_IM) && !n->child[0] &&
	    !n->child[1]) {
		*trim2 = parent->child[parent->child[0] == n ? 1 : 0];
		node_put(t, parent);
		node_put(t, n);
		return 0;
	}
	*trim = n->child[0] ? n->child[0] : n->child[1];
	node_put(t, n);
	return 0;
}

static int lpm_delete(struct bpftk_map *m, const void *key)
{
	struct lpm *t = lp(m);
	int err;
	if (key_prefixlen(key) > t->max_prefixlen)
		return -EINVAL;
	pthread_rwlock_wrlock(&t->lock);
	err = delete_locked(t, key);
	pthread_rwlock_unlock(&t->lock);
	return err;
}

/* The leftmost real node below root in post-order: down child 0 (else
 * child 1), the last real node passed. */
static struct node *leftmost(struct node *root)
{
	struct node *found = NULL;
	for (struct node *n = root; n;) {
		if (!(n->flags & LPM_FLAG_IM))
			found = n;
		n = n->child[0] ? n->child[0] : n->child[1];
	}
	return found;
}

static int next_locked(struct lpm *t, const void *key, void *next,
		       struct node **stack)
{
	struct node *n, *found = NULL;
	int sp = -1;
	uint32_t ml = 0;

	if (!t->root)
		return -ENOENT;
	if (!key || key_prefixlen(key) > t->max_prefixlen) {
		found = leftmost(t->root);
		goto copy;
	}
	/* the exact node of the key, with the path to it */
	for (n = t->root; n;) {
		stack[++sp] = n;
		ml = match_len(t, n, key);
		if (n->prefixlen != ml || n->prefixlen == key_prefixlen(key))
			break;
		n = n->child[extract_bit(key_data(key), n->prefixlen)];
	}
	if (!n || n->prefixlen != ml || n->prefixlen != key_prefixlen(key) ||
	    (n->flags & LPM_FLAG_IM)) {
		found = leftmost(t->root);
		goto copy;
	}
	/* the post-order successor: the right sibling's leftmost node, else
	 * the first real ancestor */
	n = stack[sp];
	while (sp > 0) {
		struct node *parent = stack[sp - 1];
		if (parent->child[0] == n && parent->child[1]) {
			found = leftmost(parent->child[1]);
			goto copy;
		}
		if (!(parent->flags & LPM_FLAG_IM)) {
			found = parent;
			goto copy;
		}
		n = parent;
		sp--;
	}
	return -ENOENT;
copy:
	if (!found)
		return -ENOENT;
	memcpy(next, &found->prefixlen, 4);
	memcpy((unsigned char *)next + 4, ndata(found), t->data_size);
	return 0;
}

static int lpm_get_next_key(struct bpftk_map *m, const void *key, void *next)
{
	struct lpm *t = lp(m);
	struct node **stack;
	int err;
	/* a path is at most one node per prefix length */
	stack = bpftk_malloc((t->max_prefixlen + 1) * sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	pthread_rwlock_rdlock(&t->lock);
	err = next_locked(t, key, next, stack);
	pthread_rwlock_unlock(&t->lock);
	bpftk_free(stack);
	return err;
}

const struct map_ops maps_lpm_ops = {
	.type = BPFTK_MAP_TYPE_LPM_TRIE,
	.name = "lpm_trie",
	.traits = MAPS_T_INNER_OK,
	.check = lpm_check,
	.alloc = lpm_alloc,
	.free = lpm_free,
	.sys_lookup = lpm_sys_lookup,
	.sys_update = lpm_sys_update,
	.delete = lpm_delete,
	.get_next_key = lpm_get_next_key,
	.lookup = lpm_lookup,
	.update = lpm_update,
};
