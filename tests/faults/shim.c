/*
 * tests/faults/shim.c: an LD_PRELOAD fault injector for the fault suite
 * (tests/faults/run.sh).  Not part of libgate; built by `make faults` and
 * `make check` as tests/faults/gate-fault-shim.so.
 *
 * It wraps the libc entry points that the gate, libgit2 and libcurl really
 * call for file state (nm -D: open, write, fsync, rename, unlink, mkdir,
 * link, flock, pwrite; plus their 64-bit, *at and fortified aliases so that
 * another build of the same code is caught too) and, at the Nth call of a
 * chosen kind, fails it with an errno, kills the process, or stops it.
 *
 * Environment (read once, at load):
 *   GATE_FAULT_OP      the kind counted: write, pwrite, fsync, fdatasync, rename,
 *                      renameat, unlink, unlinkat, open, openat, mkdir, link, flock;
 *                      "any": every call that changes state (write-opens, not
 *                      read-only ones; each kind above otherwise);
 *                      "all": every call, read-only opens too.  Default "any".
 *   GATE_FAULT_N       the call (1-based, among the calls counted) that faults;
 *                      0 or unset: never (counting only).
 *   GATE_FAULT_TIMES   how many calls fault from the Nth on (default 1; 0: all
 *                      later ones, as a disk that stays full).
 *   GATE_FAULT_PATH    fnmatch(3) pattern (no FNM_PATHNAME: '*' crosses '/'); only
 *                      calls on a matching path are counted.  For calls on a file
 *                      descriptor the path is /proc/self/fd/N's target.  For
 *                      rename/link either name may match.
 *   GATE_FAULT_ACTION  ENOSPC, EIO, EROFS, EDQUOT, EACCES (fail with that errno,
 *                      the call not made; a call that cannot fail so on a real
 *                      system, as unlink on a full disk, is made and traced
 *                      NOFAULT), kill (SIGKILL before the call),
 *                      kill-after (make the call, then SIGKILL), stop (SIGSTOP
 *                      before the call, so a driver can act and SIGCONT it),
 *                      count (default: never fault).
 *   GATE_FAULT_PROG    only act in processes whose program name (basename of
 *                      argv[0]) is this, e.g. gitops-gate; default: all.
 *   GATE_FAULT_ARGV    only act when some argv element equals this (post-receive).
 *   GATE_FAULT_TRACE   a file to which every counted call is appended as one line
 *                      "<pid> <seq> <op> <path>[ -> <path2>] FAULT|NOFAULT|-" and, at
 *                      exit, "<pid> total <n> <op>=<n>..." (the counting mode).
 *   GATE_FAULT_PIDFILE the acting process writes its pid here (at start; with stop,
 *                      again just before it stops), so a driver can watch it.
 *
 * The shim's own bookkeeping (trace lines, pid file) goes through the real
 * functions and is never counted.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum op {
	OP_WRITE, OP_PWRITE, OP_FSYNC, OP_FDATASYNC, OP_RENAME, OP_RENAMEAT, OP_UNLINK,
	OP_UNLINKAT, OP_OPEN, OP_OPENAT, OP_MKDIR, OP_LINK, OP_FLOCK, OP_COUNT
};
static const char *const op_names[OP_COUNT] = {
	"write", "pwrite", "fsync", "fdatasync", "rename", "renameat", "unlink", "unlinkat",
	"open", "openat", "mkdir", "link", "flock"
};

enum act { ACT_COUNT, ACT_ERRNO, ACT_KILL, ACT_KILL_AFTER, ACT_STOP };

static struct {
	int ready, active, want_op; /* want_op: -1 any, -2 all */
	long n, times;
	int act, err;
	const char *path, *trace, *pidfile;
	long seq;
	long per_op[OP_COUNT];
	int trace_fd;
} S = { .want_op = -1, .trace_fd = -1 };

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_unlink)(const char *);
static int (*real_unlinkat)(int, const char *, int);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_open_2)(const char *, int);
static int (*real_open64_2)(const char *, int);
static int (*real_openat_2)(int, const char *, int);
static int (*real_openat64_2)(int, const char *, int);
static int (*real_creat)(const char *, mode_t);
static int (*real_creat64)(const char *, mode_t);
static int (*real_mkdir)(const char *, mode_t);
static int (*real_mkdirat)(int, const char *, mode_t);
static int (*real_link)(const char *, const char *);
static int (*real_linkat)(int, const char *, int, const char *, int);
static int (*real_flock)(int, int);

#define RESOLVE(name) real_##name = dlsym(RTLD_NEXT, #name)

static int resolved;

static void resolve(void)
{
	resolved = 1;
	RESOLVE(write);
	RESOLVE(pwrite);
	RESOLVE(pwrite64);
	RESOLVE(fsync);
	RESOLVE(fdatasync);
	RESOLVE(rename);
	RESOLVE(renameat);
	RESOLVE(renameat2);
	RESOLVE(unlink);
	RESOLVE(unlinkat);
	RESOLVE(open);
	RESOLVE(open64);
	RESOLVE(openat);
	RESOLVE(openat64);
	real_open_2 = dlsym(RTLD_NEXT, "__open_2");
	real_open64_2 = dlsym(RTLD_NEXT, "__open64_2");
	real_openat_2 = dlsym(RTLD_NEXT, "__openat_2");
	real_openat64_2 = dlsym(RTLD_NEXT, "__openat64_2");
	RESOLVE(creat);
	RESOLVE(creat64);
	RESOLVE(mkdir);
	RESOLVE(mkdirat);
	RESOLVE(link);
	RESOLVE(linkat);
	RESOLVE(flock);
}

static const char *prog_name(char **argv)
{
	const char *s;

	if (!argv || !argv[0])
		return "";
	s = strrchr(argv[0], '/');
	return s ? s + 1 : argv[0];
}

static void trace_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace_line(const char *fmt, ...)
{
	char buf[PATH_MAX * 2 + 128];
	va_list ap;
	int len;

	if (S.trace_fd < 0)
		return;
	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(buf))
		len = sizeof(buf) - 1;
	/* O_APPEND: one write per line keeps lines of concurrent processes whole */
	if (real_write(S.trace_fd, buf, (size_t)len) < 0)
		return;
}

static void report_totals(void)
{
	char buf[1024];
	size_t used;
	int i;

	if (!S.active || S.trace_fd < 0)
		return;
	used = (size_t)snprintf(buf, sizeof(buf), "%ld total %ld", (long)getpid(), S.seq);
	for (i = 0; i < OP_COUNT && used < sizeof(buf); i++)
		if (S.per_op[i])
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, " %s=%ld", op_names[i],
				S.per_op[i]);
	trace_line("%s\n", buf);
}

static void write_pidfile(void)
{
	char buf[32];
	int fd, len;

	if (!S.pidfile || !*S.pidfile)
		return;
	fd = real_open(S.pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (len > 0 && real_write(fd, buf, (size_t)len) < 0)
		len = 0;
	close(fd);
}

__attribute__((constructor)) static void shim_init(int argc, char **argv, char **envp)
{
	const char *v;
	int i;

	(void)envp;
	resolve();
	S.ready = 1;
	S.active = 1;
	if ((v = getenv("GATE_FAULT_PROG")) && *v && strcmp(v, prog_name(argv)))
		S.active = 0;
	if ((v = getenv("GATE_FAULT_ARGV")) && *v) {
		int found = 0;
		for (i = 1; i < argc && argv && argv[i]; i++)
			if (!strcmp(argv[i], v))
				found = 1;
		if (!found)
			S.active = 0;
	}
	if ((v = getenv("GATE_FAULT_OP")) && *v) {
		if (!strcmp(v, "any"))
			S.want_op = -1;
		else if (!strcmp(v, "all"))
			S.want_op = -2;
		else {
			S.want_op = -3;
			for (i = 0; i < OP_COUNT; i++)
				if (!strcmp(v, op_names[i]))
					S.want_op = i;
		}
	}
	S.n = (v = getenv("GATE_FAULT_N")) ? strtol(v, NULL, 10) : 0;
	S.times = (v = getenv("GATE_FAULT_TIMES")) && *v ? strtol(v, NULL, 10) : 1;
	S.path = (v = getenv("GATE_FAULT_PATH")) && *v ? v : NULL;
	S.pidfile = getenv("GATE_FAULT_PIDFILE");
	S.act = ACT_COUNT;
	if ((v = getenv("GATE_FAULT_ACTION")) && *v) {
		if (!strcmp(v, "kill"))
			S.act = ACT_KILL;
		else if (!strcmp(v, "kill-after"))
			S.act = ACT_KILL_AFTER;
		else if (!strcmp(v, "stop"))
			S.act = ACT_STOP;
		else if (!strcmp(v, "count"))
			S.act = ACT_COUNT;
		else {
			S.act = ACT_ERRNO;
			S.err = !strcmp(v, "ENOSPC") ? ENOSPC : !strcmp(v, "EIO") ? EIO :
				!strcmp(v, "EROFS") ? EROFS : !strcmp(v, "EDQUOT") ? EDQUOT :
				!strcmp(v, "EACCES") ? EACCES : EIO;
		}
	}
	S.trace = getenv("GATE_FAULT_TRACE");
	if (S.active && S.trace && *S.trace)
		S.trace_fd = real_open(S.trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (S.active)
		atexit(report_totals);
	if (S.active && S.pidfile && *S.pidfile && S.act != ACT_STOP)
		write_pidfile();
}

static void fd_path(int fd, char *out, size_t len)
{
	char link[64];
	ssize_t r;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	r = readlink(link, out, len - 1);
	if (r < 0)
		r = snprintf(out, len, "fd:%d", fd) < 0 ? 0 : (ssize_t)strnlen(out, len - 1);
	out[r] = '\0';
}

static void at_path(int dirfd, const char *p, char *out, size_t len)
{
	char dir[PATH_MAX];

	if (!p)
		p = "";
	if (p[0] == '/' || dirfd == AT_FDCWD) {
		snprintf(out, len, "%s", p);
		return;
	}
	fd_path(dirfd, dir, sizeof(dir));
	if (snprintf(out, len, "%s/%s", dir, p) < 0)
		out[0] = '\0'; /* a longer path is cut: only the pattern match sees it */
}

static int path_matches(const char *a, const char *b)
{
	if (!S.path)
		return 1;
	return (a && fnmatch(S.path, a, 0) == 0) || (b && fnmatch(S.path, b, 0) == 0);
}

/*
 * Can this call fail with S.err on a real system?  A full disk (ENOSPC,
 * EDQUOT) fails what allocates: writes, creating opens, mkdir, link, rename,
 * fsync (delayed allocation); never unlink, flock or a read-only open.  A
 * read-only file system (EROFS) fails every change but not flock or a
 * read-only open.  EIO and EACCES: anything.
 */
static int errno_possible(enum op op, int mutating)
{
	if (S.err == ENOSPC || S.err == EDQUOT)
		return op != OP_UNLINK && op != OP_UNLINKAT && op != OP_FLOCK && mutating;
	if (S.err == EROFS)
		return op != OP_FLOCK && mutating;
	return 1;
}

/*
 * Decide for one call: 0 go on, 1 fail with S.err (errno set), 2 kill after
 * the call.  Kills and stops before the call happen here.
 */
static int decide(enum op op, int mutating, const char *a, const char *b)
{
	long seq;
	int fault = 0;

	if (!S.ready || !S.active)
		return 0;
	if (S.want_op >= 0 ? S.want_op != (int)op :
	    S.want_op == -1 ? !mutating : S.want_op != -2)
		return 0;
	if (!path_matches(a, b))
		return 0;
	seq = __atomic_add_fetch(&S.seq, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&S.per_op[op], 1, __ATOMIC_SEQ_CST);
	if (S.act != ACT_COUNT && S.n > 0 && seq >= S.n && (S.times == 0 || seq < S.n + S.times))
		fault = 1;
	if (fault && S.act == ACT_ERRNO && !errno_possible(op, mutating))
		fault = 2; /* made, as a real system would */
	trace_line("%ld %ld %s %s%s%s %s\n", (long)getpid(), seq, op_names[op], a ? a : "-",
		b ? " -> " : "", b ? b : "", fault == 1 ? "FAULT" : fault == 2 ? "NOFAULT" : "-");
	if (fault == 2)
		return 0;
	if (!fault)
		return 0;
	switch (S.act) {
	case ACT_KILL:
		raise(SIGKILL);
		return 0;
	case ACT_KILL_AFTER:
		return 2;
	case ACT_STOP:
		write_pidfile();
		raise(SIGSTOP);
		return 0;
	case ACT_ERRNO:
		errno = S.err;
		return 1;
	default:
		return 0;
	}
}

static void after(int d)
{
	if (d == 2)
		raise(SIGKILL);
}

static int open_mutates(int flags)
{
	return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

/* ---- the wrappers ---- */

ssize_t write(int fd, const void *buf, size_t n)
{
	char p[PATH_MAX];
	ssize_t r;
	int d = 0;

	if (!resolved)
		resolve();
	if (S.ready && S.active) {
		fd_path(fd, p, sizeof(p));
		if ((d = decide(OP_WRITE, 1, p, NULL)) == 1)
			return -1;
	}
	r = real_write(fd, buf, n);
	after(d);
	return r;
}

#define FD_WRAP(name, OP, call) \
	do { \
		if (!resolved) \
			resolve(); \
		char p[PATH_MAX]; \
		int d = 0; \
		if (S.ready && S.active) { \
			fd_path(fd, p, sizeof(p)); \
			if ((d = decide(OP, 1, p, NULL)) == 1) \
				return -1; \
		} \
		r = call; \
		after(d); \
		return r; \
	} while (0)

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t r;
	FD_WRAP(pwrite, OP_PWRITE, real_pwrite(fd, buf, n, off));
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t r;
	FD_WRAP(pwrite64, OP_PWRITE, real_pwrite64(fd, buf, n, off));
}

int fsync(int fd)
{
	int r;
	FD_WRAP(fsync, OP_FSYNC, real_fsync(fd));
}

int fdatasync(int fd)
{
	int r;
	FD_WRAP(fdatasync, OP_FDATASYNC, real_fdatasync(fd));
}

int flock(int fd, int how)
{
	int r;
	FD_WRAP(flock, OP_FLOCK, real_flock(fd, how));
}

#define PATH2_WRAP(OP, a, b, call) \
	do { \
		if (!resolved) \
			resolve(); \
		int d = 0; \
		if (S.ready && S.active && (d = decide(OP, 1, a, b)) == 1) \
			return -1; \
		r = call; \
		after(d); \
		return r; \
	} while (0)

int rename(const char *a, const char *b)
{
	int r;
	PATH2_WRAP(OP_RENAME, a, b, real_rename(a, b));
}

int renameat(int da, const char *a, int db, const char *b)
{
	char pa[PATH_MAX], pb[PATH_MAX];
	int r;

	at_path(da, a, pa, sizeof(pa));
	at_path(db, b, pb, sizeof(pb));
	PATH2_WRAP(OP_RENAMEAT, pa, pb, real_renameat(da, a, db, b));
}

int renameat2(int da, const char *a, int db, const char *b, unsigned flags)
{
	char pa[PATH_MAX], pb[PATH_MAX];
	int r;

	at_path(da, a, pa, sizeof(pa));
	at_path(db, b, pb, sizeof(pb));
	PATH2_WRAP(OP_RENAMEAT, pa, pb, real_renameat2(da, a, db, b, flags));
}

int unlink(const char *a)
{
	int r;
	PATH2_WRAP(OP_UNLINK, a, NULL, real_unlink(a));
}

int unlinkat(int da, const char *a, int flags)
{
	char pa[PATH_MAX];
	int r;

	at_path(da, a, pa, sizeof(pa));
	PATH2_WRAP(OP_UNLINKAT, pa, NULL, real_unlinkat(da, a, flags));
}

int mkdir(const char *a, mode_t mode)
{
	int r;
	PATH2_WRAP(OP_MKDIR, a, NULL, real_mkdir(a, mode));
}

int mkdirat(int da, const char *a, mode_t mode)
{
	char pa[PATH_MAX];
	int r;

	at_path(da, a, pa, sizeof(pa));
	PATH2_WRAP(OP_MKDIR, pa, NULL, real_mkdirat(da, a, mode));
}

int link(const char *a, const char *b)
{
	int r;
	PATH2_WRAP(OP_LINK, a, b, real_link(a, b));
}

int linkat(int da, const char *a, int db, const char *b, int flags)
{
	char pa[PATH_MAX], pb[PATH_MAX];
	int r;

	at_path(da, a, pa, sizeof(pa));
	at_path(db, b, pb, sizeof(pb));
	PATH2_WRAP(OP_LINK, pa, pb, real_linkat(da, a, db, b, flags));
}

static mode_t va_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

#define OPEN_WRAP(OP, a, flags, call) \
	do { \
		if (!resolved) \
			resolve(); \
		int d = 0; \
		if (S.ready && S.active && (d = decide(OP, open_mutates(flags), a, NULL)) == 1) \
			return -1; \
		r = call; \
		after(d); \
		return r; \
	} while (0)

int open(const char *a, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int r;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	OPEN_WRAP(OP_OPEN, a, flags, real_open(a, flags, mode));
}

int open64(const char *a, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int r;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	OPEN_WRAP(OP_OPEN, a, flags, real_open64(a, flags, mode));
}

int openat(int da, const char *a, int flags, ...)
{
	char pa[PATH_MAX];
	va_list ap;
	mode_t mode;
	int r;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	at_path(da, a, pa, sizeof(pa));
	OPEN_WRAP(OP_OPENAT, pa, flags, real_openat(da, a, flags, mode));
}

int openat64(int da, const char *a, int flags, ...)
{
	char pa[PATH_MAX];
	va_list ap;
	mode_t mode;
	int r;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	at_path(da, a, pa, sizeof(pa));
	OPEN_WRAP(OP_OPENAT, pa, flags, real_openat64(da, a, flags, mode));
}

int __open_2(const char *a, int flags);
int __open_2(const char *a, int flags)
{
	int r;
	OPEN_WRAP(OP_OPEN, a, flags, real_open_2(a, flags));
}

int __open64_2(const char *a, int flags);
int __open64_2(const char *a, int flags)
{
	int r;
	OPEN_WRAP(OP_OPEN, a, flags, real_open64_2(a, flags));
}

int __openat_2(int da, const char *a, int flags);
int __openat_2(int da, const char *a, int flags)
{
	char pa[PATH_MAX];
	int r;

	at_path(da, a, pa, sizeof(pa));
	OPEN_WRAP(OP_OPENAT, pa, flags, real_openat_2(da, a, flags));
}

int __openat64_2(int da, const char *a, int flags);
int __openat64_2(int da, const char *a, int flags)
{
	char pa[PATH_MAX];
	int r;

	at_path(da, a, pa, sizeof(pa));
	OPEN_WRAP(OP_OPENAT, pa, flags, real_openat64_2(da, a, flags));
}

int creat(const char *a, mode_t mode)
{
	int r;
	OPEN_WRAP(OP_OPEN, a, O_CREAT | O_WRONLY | O_TRUNC, real_creat(a, mode));
}

int creat64(const char *a, mode_t mode)
{
	int r;
	OPEN_WRAP(OP_OPEN, a, O_CREAT | O_WRONLY | O_TRUNC, real_creat64(a, mode));
}
