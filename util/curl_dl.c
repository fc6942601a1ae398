#include "config.h"
#include "gate/curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#ifndef GATE_LIBCURL_SONAME
#define GATE_LIBCURL_SONAME "libcurl.so.4"
#endif

static struct gate_curl table;
static char load_error[512];
static int load_status = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* one symbol into *slot (a function pointer of the table); -1 when missing */
static int sym(void *lib, const char *name, void *slot)
{
	void *p = dlsym(lib, name);

	if (!p) {
		snprintf(load_error, sizeof(load_error), "%s has no %s (libcurl 7.85 or newer needed)",
			GATE_LIBCURL_SONAME, name);
		return -1;
	}
	/* POSIX guarantees a data pointer from dlsym() converts to a function pointer */
	*(void **)slot = p;
	return 0;
}

static void load(void)
{
	CURLcode (*global_init)(long flags) = NULL;
	void *lib = dlopen(GATE_LIBCURL_SONAME, RTLD_LAZY | RTLD_LOCAL);
	const char *e;

	if (!lib) {
		e = dlerror();
		snprintf(load_error, sizeof(load_error), "cannot load libcurl: %s (apt-get install libcurl4)",
			e ? e : GATE_LIBCURL_SONAME);
		return;
	}
	if (sym(lib, "curl_global_init", &global_init) < 0 ||
	    sym(lib, "curl_easy_init", &table.easy_init) < 0 ||
	    sym(lib, "curl_easy_setopt", &table.easy_setopt) < 0 ||
	    sym(lib, "curl_easy_perform", &table.easy_perform) < 0 ||
	    sym(lib, "curl_easy_getinfo", &table.easy_getinfo) < 0 ||
	    sym(lib, "curl_easy_cleanup", &table.easy_cleanup) < 0 ||
	    sym(lib, "curl_easy_strerror", &table.easy_strerror) < 0 ||
	    sym(lib, "curl_slist_append", &table.slist_append) < 0 ||
	    sym(lib, "curl_slist_free_all", &table.slist_free_all) < 0 ||
	    sym(lib, "curl_multi_init", &table.multi_init) < 0 ||
	    sym(lib, "curl_multi_setopt", &table.multi_setopt) < 0 ||
	    sym(lib, "curl_multi_add_handle", &table.multi_add_handle) < 0 ||
	    sym(lib, "curl_multi_remove_handle", &table.multi_remove_handle) < 0 ||
	    sym(lib, "curl_multi_perform", &table.multi_perform) < 0 ||
	    sym(lib, "curl_multi_info_read", &table.multi_info_read) < 0 ||
	    sym(lib, "curl_multi_poll", &table.multi_poll) < 0 ||
	    sym(lib, "curl_multi_cleanup", &table.multi_cleanup) < 0)
		return;
	if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(load_error, sizeof(load_error), "could not initialise libcurl");
		return;
	}
	/* the library stays loaded for the life of the process: never dlclose() */
	load_status = 0;
}

int gate_curl_load(const struct gate_curl **out, char *err, size_t errsize)
{
	*out = NULL;
	pthread_once(&once, load);
	if (load_status < 0) {
		if (errsize)
			snprintf(err, errsize, "%s", load_error);
		return -1;
	}
	*out = &table;
	return 0;
}
