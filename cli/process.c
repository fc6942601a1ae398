#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/util.h"
#include "process.h"

int gate_cli_read_stdin(size_t max, char **out, size_t *len)
{
	struct gate_buf b = GATE_BUF_INIT;
	char chunk[65536];
	ssize_t r;

	for (;;) {
		r = read(0, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			gate_buf_release(&b);
			return -1;
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > max) {
			gate_buf_release(&b);
			errno = EFBIG;
			return -1;
		}
		gate_buf_add(&b, chunk, (size_t)r);
	}
	*len = b.len;
	*out = b.ptr ? gate_buf_detach(&b) : gate_xstrdup("");
	return 0;
}

static const char *const hosting_vars[] = { "GL_USERNAME", "GITEA_PUSHER_NAME",
	"GITHUB_USER_LOGIN", "REMOTE_USER", NULL };

static const char *pusher_name(void)
{
	static char name[256];
	struct passwd *pw;
	size_t i;

	for (i = 0; hosting_vars[i]; i++) {
		const char *v = getenv(hosting_vars[i]);
		if (v && *v)
			return v;
	}
	pw = getpwuid(getuid());
	if (pw && pw->pw_name) {
		snprintf(name, sizeof(name), "%s", pw->pw_name);
		return name;
	}
	snprintf(name, sizeof(name), "uid %ld", (long)getuid());
	return name;
}

/*
 * The pusher's groups, for path ownership: GATE_PUSHER_GROUPS (comma
 * separated, set by the hosting environment for the hook), else the Unix
 * groups of the account running the hook when no hosting identity is set.
 */
static char **pusher_groups(size_t *n)
{
	const char *env = getenv("GATE_PUSHER_GROUPS");
	char **v = NULL;
	size_t alloc = 0, i;

	*n = 0;
	if (env) {
		const char *p = env;
		while (*p && *n < 256) {
			const char *e = strchr(p, ',');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			while (l && (*p == ' ' || *p == '\t')) {
				p++;
				l--;
			}
			while (l && (p[l - 1] == ' ' || p[l - 1] == '\t'))
				l--;
			if (l && l <= 256) {
				GATE_ALLOC_GROW(v, *n + 1, alloc);
				v[(*n)++] = gate_xstrndup(p, l);
			}
			p = e ? e + 1 : p + strlen(p);
		}
		return v;
	}
	for (i = 0; hosting_vars[i]; i++)
		if (getenv(hosting_vars[i]) && *getenv(hosting_vars[i]))
			return NULL;
	{
		gid_t gids[256];
		int ng = getgroups(256, gids), k;
		for (k = 0; k < ng; k++) {
			const struct group *gr = getgrgid(gids[k]);
			if (!gr || !gr->gr_name)
				continue;
			GATE_ALLOC_GROW(v, *n + 1, alloc);
			v[(*n)++] = gate_xstrdup(gr->gr_name);
		}
	}
	return v;
}

const struct gate_pusher *gate_cli_pusher(void)
{
	static struct gate_pusher p;
	static int done;

	if (!done) {
		size_t n = 0;
		char **g = pusher_groups(&n);

		p.name = pusher_name();
		p.groups = (const char *const *)g;
		p.ngroups = n;
		done = 1;
	}
	return &p;
}

void gate_cli_engine_id(char *buf, size_t size)
{
	struct stat st;

	if (stat("/proc/self/exe", &st) == 0)
		snprintf(buf, size, "gitops-gate %s %lld %lld.%09ld", PACKAGE_VERSION,
			(long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	else
		snprintf(buf, size, "gitops-gate %s", PACKAGE_VERSION);
}

int gate_cli_under_gitlab(void)
{
	const char *id = getenv("GL_ID"), *proto = getenv("GL_PROTOCOL");

	return (id && *id) || (proto && *proto && getenv("GL_REPOSITORY"));
}
