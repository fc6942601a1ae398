/*
 * Where the built-in schema catalog is: the first folder that exists of
 * GATE_CATALOG_DIR, $GATE_SCHEMA_DIR/catalog, $(pkgdatadir)/catalog and the
 * build tree's schemas/catalog (an uninstalled build).
 */
#include "config.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "commands.h"
#include "gate/util.h"

#ifndef GATE_BUILD_CATALOG
#define GATE_BUILD_CATALOG ""
#endif

static int is_dir(const char *p)
{
	struct stat st;

	return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *gate_cli_catalog_dir(void)
{
	static char *found;
	const char *env = getenv("GATE_CATALOG_DIR"), *sd = getenv("GATE_SCHEMA_DIR");
	char *p;

	if (found)
		return found;
	if (env && *env)
		return found = gate_xstrdup(env);
	if (sd && *sd) {
		p = gate_xasprintf("%s/catalog", sd);
		if (is_dir(p))
			return found = p;
		free(p);
	}
	p = gate_xasprintf("%s/catalog", GATE_PKGDATADIR);
	if (is_dir(p) || !is_dir(GATE_BUILD_CATALOG))
		return found = p;
	free(p);
	return found = gate_xstrdup(GATE_BUILD_CATALOG);
}
