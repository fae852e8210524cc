/*
 * repo.c - the publisher's repository: index.json in memory (jansson), the
 * packages it names on disk.  Packages are immutable: a path is the SHA-256
 * of its bytes, and a published version never changes its contents.
 */
#include "repo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "hash.h"
#include "pack.h"
#include "str.h"
#include "version.h"

#define REPO_INDEX "index.json"
#define REPO_INDEX_MAX (64u * 1024 * 1024)

struct repo {
	char dir[PATH_MAX];
	json_t *index; /* {"_type", "serial", "components": {NAME: {...}}} */
};

const char *repo_dir(const struct repo *repo)
{
	return repo->dir;
}

void repo_free(struct repo *repo)
{
	if (repo == NULL)
		return;
	json_decref(repo->index);
	free(repo);
}

static int repo_path(const struct repo *repo, const char *name, char *out,
		     size_t n, struct hs_err *e)
{
	if (hs_snprintf(out, n, "%s/%s", repo->dir, name) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s/%s'",
				  repo->dir, name);
	return 0;
}

int repo_write(const struct repo *repo, const char *name, const void *p,
	       size_t n, struct hs_err *e)
{
	char path[PATH_MAX];
	int r;

	r = repo_path(repo, name, path, sizeof(path), e);
	if (r < 0)
		return r;
	return hs_write_file_atomic(path, p, n, 0644, e);
}

static int repo_save_index(const struct repo *repo, struct hs_err *e)
{
	char *text = json_dumps(repo->index, JSON_SORT_KEYS | JSON_INDENT(1));
	int r;

	if (text == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = repo_write(repo, REPO_INDEX, text, strlen(text), e);
	free(text);
	return r;
}

/* mkdir that accepts an existing directory and sets mode 0755. */
static int repo_mkdir(const char *path, struct hs_err *e)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return hs_err_set(e, -errno, "cannot create '%s': %s", path,
				  strerror(errno));
	if (chmod(path, 0755) < 0)
		return hs_err_set(e, -errno, "cannot chmod '%s': %s", path,
				  strerror(errno));
	return 0;
}

int repo_create(const char *dir, struct hs_err *e)
{
	struct repo repo;
	char path[PATH_MAX];
	int r;

	memset(&repo, 0, sizeof(repo));
	if (hs_strlcpy(repo.dir, dir, sizeof(repo.dir)) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", dir);
	r = repo_mkdir(dir, e);
	if (r == 0)
		r = repo_path(&repo, REPO_INDEX, path, sizeof(path), e);
	if (r < 0)
		return r;
	if (access(path, F_OK) == 0)
		return hs_err_set(e, -EEXIST,
				  "'%s' is already a repository (it has %s)",
				  dir, REPO_INDEX);
	r = repo_path(&repo, "root.json", path, sizeof(path), e);
	if (r < 0)
		return r;
	if (access(path, F_OK) == 0)
		return hs_err_set(e, -EEXIST,
				  "'%s' already has a root.json: not replaced",
				  dir);
	repo.index = json_pack("{s:s, s:i, s:{}}", "_type", "publisher-index",
			       "serial", 0, "components");
	if (repo.index == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = repo_save_index(&repo, e);
	json_decref(repo.index);
	return r;
}

int repo_open(const char *dir, struct repo **ret_repo, struct hs_err *e)
{
	char path[PATH_MAX];
	json_error_t jerr;
	struct repo *repo;
	int r;

	repo = calloc(1, sizeof(*repo));
	if (repo == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (hs_strlcpy(repo->dir, dir, sizeof(repo->dir)) < 0) {
		r = hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", dir);
		goto out_free;
	}
	r = repo_path(repo, REPO_INDEX, path, sizeof(path), e);
	if (r < 0)
		goto out_free;
	repo->index = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (repo->index == NULL) {
		r = hs_err_set(e, -ENOENT,
			       "'%s' is not a repository (run 'haishin-publish "
			       "init' first): %s",
			       dir, jerr.text);
		goto out_free;
	}
	if (!json_is_object(json_object_get(repo->index, "components")) ||
	    !json_is_integer(json_object_get(repo->index, "serial"))) {
		r = hs_err_set(e, -EBADMSG, "'%s' is damaged", path);
		goto out_free;
	}
	*ret_repo = repo;
	return 0;
out_free:
	repo_free(repo);
	return r;
}

/* Packs tree into a temporary file under dir; returns its fd and path. */
static int repo_pack(const char *dir, const char *tree, char *tmp, size_t n,
		     int *ret_fd, struct hs_err *e)
{
	int fd;
	int r;

	if (hs_snprintf(tmp, n, "%s/.pack-XXXXXX", dir) < 0)
		return hs_err_set(e, -ENAMETOOLONG, "path too long");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hs_err_set(e, -errno, "cannot create a file in '%s': %s",
				  dir, strerror(errno));
	r = pack_dir(tree, fd, e);
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = hs_err_set(e, -errno, "cannot chmod '%s'", tmp);
	if (r == 0 && fsync(fd) < 0)
		r = hs_err_set(e, -errno, "cannot fsync '%s'", tmp);
	if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
		r = hs_err_set(e, -errno, "cannot seek '%s'", tmp);
	if (r < 0) {
		(void)close(fd);
		(void)unlink(tmp);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* Packs tree and moves it to its content address under packages/NAME/. */
static int repo_store_package(struct repo *repo, const char *name,
			      const char *tree, struct manifest_package *pkg,
			      struct hs_err *e)
{
	char dir[PATH_MAX];
	char tmp[PATH_MAX];
	char final[PATH_MAX];
	int fd = -1;
	int r;

	r = repo_path(repo, "packages", dir, sizeof(dir), e);
	if (r == 0)
		r = repo_mkdir(dir, e);
	if (r == 0 && hs_snprintf(dir, sizeof(dir), "%s/packages/%s", repo->dir,
				  name) < 0)
		r = hs_err_set(e, -ENAMETOOLONG, "path too long");
	if (r == 0)
		r = repo_mkdir(dir, e);
	if (r == 0)
		r = repo_pack(dir, tree, tmp, sizeof(tmp), &fd, e);
	if (r < 0)
		return r;
	r = hash_fd(fd, pkg->sha256, &pkg->size, e);
	(void)close(fd);
	if (r == 0 &&
	    (hs_snprintf(pkg->url, sizeof(pkg->url), "packages/%s/%s.tar.zst",
			 name, pkg->sha256) < 0 ||
	     repo_path(repo, pkg->url, final, sizeof(final), e) < 0))
		r = hs_err_set(e, -ENAMETOOLONG, "path too long");
	if (r == 0 && rename(tmp, final) < 0)
		r = hs_err_set(e, -errno, "cannot rename '%s' to '%s': %s", tmp,
			       final, strerror(errno));
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

static json_t *repo_component(struct repo *repo, const char *name)
{
	json_t *comps = json_object_get(repo->index, "components");
	json_t *c = json_object_get(comps, name);

	if (c != NULL)
		return c;
	c = json_pack("{s:n, s:s, s:{}}", "minimum", "restart", "none",
		      "versions");
	if (c == NULL || json_object_set_new(comps, name, c) < 0)
		return NULL;
	return c;
}

static int repo_record(json_t *comp, const char *version, const char *minimum,
		       const char *restart, const struct manifest_package *pkg,
		       struct hs_err *e)
{
	json_t *versions = json_object_get(comp, "versions");
	json_t *old = json_object_get(versions, version);
	const char *old_sha = json_string_value(json_object_get(old, "sha256"));

	if (old != NULL && (old_sha == NULL || strcmp(old_sha, pkg->sha256)))
		return hs_err_set(e, -EEXIST,
				  "version %s was published before with other "
				  "contents; publish a new version instead",
				  version);
	if (json_object_set_new(versions, version,
				json_pack("{s:s, s:I, s:s}", "url", pkg->url,
					  "size", (json_int_t)pkg->size,
					  "sha256", pkg->sha256)) < 0)
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (minimum == NULL && json_is_null(json_object_get(comp, "minimum")))
		minimum = version;
	if ((minimum != NULL &&
	     json_object_set_new(comp, "minimum", json_string(minimum)) < 0) ||
	    (restart != NULL &&
	     json_object_set_new(comp, "restart", json_string(restart)) < 0))
		return hs_err_set(e, -ENOMEM, "out of memory");
	return 0;
}

int repo_add(struct repo *repo, const char *name, const char *version,
	     const char *tree, const char *minimum, const char *restart,
	     struct manifest_package *ret_pkg, struct hs_err *e)
{
	enum manifest_restart rs;
	struct manifest_package pkg;
	json_t *comp;
	int r;

	if (!version_name_is_valid(name))
		return hs_err_set(e, -EINVAL,
				  "invalid component name '%s' (use a-z, 0-9, "
				  "'.', '_', '-')",
				  name);
	if (!version_is_valid(version))
		return hs_err_set(e, -EINVAL, "invalid version '%s'", version);
	if (minimum != NULL && !version_is_valid(minimum))
		return hs_err_set(e, -EINVAL, "invalid minimum '%s'", minimum);
	if (restart != NULL && manifest_restart_parse(restart, &rs) < 0)
		return hs_err_set(e, -EINVAL,
				  "restart '%s' is not none, app or system",
				  restart);
	memset(&pkg, 0, sizeof(pkg));
	r = repo_store_package(repo, name, tree, &pkg, e);
	if (r < 0)
		return r;
	comp = repo_component(repo, name);
	if (comp == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = repo_record(comp, version, minimum, restart, &pkg, e);
	if (r == 0)
		r = repo_save_index(repo, e);
	if (r == 0)
		*ret_pkg = pkg;
	return r;
}

/* Copies a string field of the index; -EBADMSG when absent or too long. */
static int index_str(json_t *obj, const char *key, char *out, size_t n)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL)
		return -EBADMSG;
	return hs_strlcpy(out, s, n) < 0 ? -EBADMSG : 0;
}

/* The highest valid version among the keys of versions, or NULL. */
static const char *index_highest(json_t *versions)
{
	const char *best = NULL;
	const char *v;
	json_t *entry;

	json_object_foreach(versions, v, entry)
	{
		if (version_is_valid(v) &&
		    (best == NULL || version_compare(v, best) > 0))
			best = v;
	}
	return best;
}

/* Fills c from the index entry of one component at its highest version. */
static int repo_latest(const char *name, json_t *comp,
		       struct manifest_component *c, struct hs_err *e)
{
	json_t *versions = json_object_get(comp, "versions");
	const char *best = index_highest(versions);
	json_t *pick = json_object_get(versions, best != NULL ? best : "");
	char restart[16];
	int r;

	if (best == NULL)
		return hs_err_set(e, -ENOENT, "component '%s' has no version",
				  name);
	r = hs_strlcpy(c->name, name, sizeof(c->name));
	if (r == 0)
		r = hs_strlcpy(c->version, best, sizeof(c->version));
	if (r == 0)
		r = index_str(comp, "minimum", c->minimum, sizeof(c->minimum));
	if (r == 0)
		r = index_str(comp, "restart", restart, sizeof(restart));
	if (r == 0)
		r = manifest_restart_parse(restart, &c->restart);
	if (r == 0)
		r = index_str(pick, "url", c->package.url,
			      sizeof(c->package.url));
	if (r == 0)
		r = index_str(pick, "sha256", c->package.sha256,
			      sizeof(c->package.sha256));
	c->package.size =
		(uint64_t)json_integer_value(json_object_get(pick, "size"));
	if (r < 0 || !version_is_valid(c->minimum))
		return hs_err_set(e, -EBADMSG,
				  "the index entry of '%s' is damaged", name);
	if (version_compare(c->minimum, c->version) > 0)
		return hs_err_set(e, -EINVAL,
				  "'%s': minimum %s is above the latest "
				  "version %s",
				  name, c->minimum, c->version);
	return 0;
}

int repo_next_manifest(struct repo *repo, int64_t expires,
		       struct manifest **ret_m, struct hs_err *e)
{
	json_t *comps = json_object_get(repo->index, "components");
	struct manifest *m;
	const char *name;
	json_t *comp;
	int r = 0;

	m = calloc(1, sizeof(*m));
	if (m != NULL)
		m->components = calloc(json_object_size(comps) + 1,
				       sizeof(*m->components));
	if (m == NULL || m->components == NULL) {
		manifest_free(m);
		return hs_err_set(e, -ENOMEM, "out of memory");
	}
	m->serial = (uint64_t)json_integer_value(
			    json_object_get(repo->index, "serial")) +
		    1;
	m->expires = expires;
	json_object_foreach(comps, name, comp)
	{
		r = repo_latest(name, comp, &m->components[m->n_components++],
				e);
		if (r < 0)
			break;
	}
	if (r < 0) {
		manifest_free(m);
		return r;
	}
	*ret_m = m;
	return 0;
}

int repo_set_serial(struct repo *repo, uint64_t serial, struct hs_err *e)
{
	if (json_object_set_new(repo->index, "serial",
				json_integer((json_int_t)serial)) < 0)
		return hs_err_set(e, -ENOMEM, "out of memory");
	return repo_save_index(repo, e);
}
