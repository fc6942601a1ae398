/*
 * store_int.h: the schema store's JSON reader (store_json.c), used by
 * store.c and visible to its unit test (tests/unit/store_json_test.c).
 * Private to the store.
 */
#ifndef GATE_STORE_INT_H
#define GATE_STORE_INT_H

#include <stddef.h>
#include <jansson.h>

/*
 * The store's fast reading of a schema file: a new reference to the same
 * value json_loadb(buf, len, 0, ...) gives, or NULL when it gives up (the
 * store then calls json_loadb(), which answers for unusual or invalid input).
 */
json_t *gate_store_json_fast(const char *buf, size_t len);

#endif
