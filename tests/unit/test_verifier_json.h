/* test_verifier_json.h — just enough JSON for the kernel verifier cases
 * (../shared/kernel-verifier/cases.jsonl): objects, arrays, strings
 * (escapes kept as written except \" and \\), integers, true/false/null.
 * One value tree per line; jv_free frees it.  Test code only. */
#ifndef BPFTK_TEST_VERIFIER_JSON_H
#define BPFTK_TEST_VERIFIER_JSON_H

#include <stdlib.h>
#include <string.h>

enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	int type;
	long long num; /* JV_NUM, JV_BOOL */
	char *str;     /* JV_STR */
	struct jv *items; /* JV_ARR / JV_OBJ values */
	char **keys;	  /* JV_OBJ */
	size_t n;
};

static void jv_free(struct jv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		jv_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

static void jv_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static char *jv_string(const char **p)
{
	const char *s = ++*p;
	size_t n = 0;
	char *out = malloc(strlen(s) + 1);
	if (!out)
		return NULL;
	while (**p && **p != '"') {
		if (**p == '\\' && (*p)[1]) {
			(*p)++;
			char c = **p;
			out[n++] = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		} else {
			out[n++] = **p;
		}
		(*p)++;
	}
	if (**p == '"')
		(*p)++;
	out[n] = 0;
	return out;
}

static int jv_parse(const char **p, struct jv *v)
{
	memset(v, 0, sizeof(*v));
	jv_ws(p);
	char c = **p;
	if (c == '{' || c == '[') {
		int obj = c == '{';
		v->type = obj ? JV_OBJ : JV_ARR;
		(*p)++;
		size_t cap = 0;
		for (;;) {
			jv_ws(p);
			if (**p == (obj ? '}' : ']')) {
				(*p)++;
				return 0;
			}
			if (v->n == cap) {
				cap = cap ? 2 * cap : 8;
				v->items = realloc(v->items,
						   cap * sizeof(*v->items));
				if (obj)
					v->keys = realloc(v->keys,
							  cap * sizeof(char *));
			}
			if (obj) {
				jv_ws(p);
				if (**p != '"')
					return -1;
				v->keys[v->n] = jv_string(p);
				jv_ws(p);
				if (**p != ':')
					return -1;
				(*p)++;
			}
			if (jv_parse(p, &v->items[v->n]))
				return -1;
			v->n++;
			jv_ws(p);
			if (**p == ',')
				(*p)++;
		}
	}
	if (c == '"') {
		v->type = JV_STR;
		v->str = jv_string(p);
		return 0;
	}
	if (!strncmp(*p, "null", 4)) {
		*p += 4;
		return 0;
	}
	if (!strncmp(*p, "true", 4) || !strncmp(*p, "false", 5)) {
		v->type = JV_BOOL;
		v->num = c == 't';
		*p += c == 't' ? 4 : 5;
		return 0;
	}
	char *end;
	v->type = JV_NUM;
	v->num = strtoll(*p, &end, 10);
	if (end == *p)
		return -1;
	if (*end == '.' || *end == 'e' || *end == 'E')
		strtod(*p, &end);
	*p = end;
	return 0;
}

static const struct jv *jv_get(const struct jv *o, const char *key)
{
	static const struct jv null_value;
	for (size_t i = 0; o->type == JV_OBJ && i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return &o->items[i];
	return &null_value;
}

#endif
