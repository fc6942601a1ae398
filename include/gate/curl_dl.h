/*
 * curl_dl: libcurl, loaded on first use.  gitops-gate does not link libcurl:
 * loading it and the ~30 shared libraries it needs costs about 5 ms at every
 * process start (more than a whole `render` of a typical kustomization), and
 * only schema downloads and notifications use it.  The one place that names
 * libcurl's shared object; everything else calls libcurl through the table
 * gate_curl_load() returns (types and constants still come from
 * <curl/curl.h>).
 */
#ifndef GATE_CURL_DL_H
#define GATE_CURL_DL_H

#include <stddef.h>
#include <curl/curl.h>

/* The libcurl functions the gate uses (libcurl 7.85 or newer). */
struct gate_curl {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd fds[], unsigned int nfds,
		int timeout_ms, int *numfds);
	CURLMcode (*multi_cleanup)(CURLM *m);
};

/*
 * Loads libcurl once per process (thread-safe; later calls return the first
 * outcome) and runs curl_global_init(CURL_GLOBAL_DEFAULT).  On success *out
 * points to the table (static, valid for the life of the process) and 0 is
 * returned; on failure -1 with err saying what is missing ("libcurl.so.4:
 * cannot open shared object file ...: apt-get install libcurl4").
 */
int gate_curl_load(const struct gate_curl **out, char *err, size_t errsize);

#endif
