/*
 * repo.c - the publisher's repository: index.json in memory (jansson), the
 * packages it names on disk.  Packages are immutable: a path is the SHA-256
 * of its bytes, and a published version never changes its contents.
 */
#include "repo_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "hs_limits.h"
#include "pack.h"
#include "fileio.h"
#include "str.h"
#include "tarball.h"
#include "trust.h"
#include "version.h"

#define REPO_INDEX "index.json"
#define REPO_INDEX_MAX (64u * 1024 * 1024)

const char *repo_dir(const struct repo *repo)
{
	return repo->dir;
}

void repo_free(struct repo *repo)
{
	if (repo == NULL)
		return;
	json_decref(repo->index);
	if (repo->lock_fd >= 0)
		(void)close(repo->lock_fd);
	free(repo);
}

int repo_path(const struct repo *repo, const char *name, char *out, size_t n,
	      struct hs_err *e)
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

int repo_save_index(const struct repo *repo, struct hs_err *e)
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
	repo->lock_fd = -1;
	if (hs_strlcpy(repo->dir, dir, sizeof(repo->dir)) < 0) {
		r = hs_err_set(e, -ENAMETOOLONG, "path too long: '%s'", dir);
		goto out_free;
	}
	r = repo_path(repo, REPO_INDEX, path, sizeof(path), e);
	if (r == 0 && access(path, F_OK) == 0)
		r = repo_lock(repo, e);
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

/* The size and SHA-256 of the tar inside the package in fd. */
static int repo_package_tar(int fd, struct manifest_package *pkg,
			    struct hs_err *e)
{
	struct tarball_info info;
	int r;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return hs_err_set(e, -errno, "cannot seek the package: %s",
				  strerror(errno));
	r = tarball_from_package(fd, -1, HS_PACKAGE_MAX_BYTES, &info, e);
	if (r < 0)
		return r;
	pkg->tar_size = info.size;
	memcpy(pkg->tar_sha256, info.sha256, sizeof(pkg->tar_sha256));
	return 0;
}

/* mkdir of a directory of the repository, its entry made durable. */
static int repo_mkdir_synced(const char *path, struct hs_err *e)
{
	const int r = repo_mkdir(path, e);

	return r < 0 ? r : hs_fsync_parent(path, e);
}

/*
 * Packs tree and moves it to its content address under packages/NAME/,
 * durably; *ret_created says whether that file is new (the same package
 * may be there already).
 */
static int repo_store_package(struct repo *repo, const char *name,
			      const char *tree, struct manifest_package *pkg,
			      bool *ret_created, struct hs_err *e)
{
	char dir[PATH_MAX];
	char tmp[PATH_MAX];
	char final[PATH_MAX];
	int fd = -1;
	int r;

	*ret_created = false;
	r = repo_path(repo, "packages", dir, sizeof(dir), e);
	if (r == 0)
		r = repo_mkdir_synced(dir, e);
	if (r == 0 && hs_snprintf(dir, sizeof(dir), "%s/packages/%s", repo->dir,
				  name) < 0)
		r = hs_err_set(e, -ENAMETOOLONG, "path too long");
	if (r == 0)
		r = repo_mkdir_synced(dir, e);
	if (r == 0)
		r = repo_pack(dir, tree, tmp, sizeof(tmp), &fd, e);
	if (r < 0)
		return r;
	r = hash_fd(fd, pkg->sha256, &pkg->size, e);
	if (r == 0)
		r = repo_package_tar(fd, pkg, e);
	(void)close(fd);
	if (r == 0 &&
	    (hs_snprintf(pkg->url, sizeof(pkg->url), "packages/%s/%s.tar.zst",
			 name, pkg->sha256) < 0 ||
	     repo_path(repo, pkg->url, final, sizeof(final), e) < 0))
		r = hs_err_set(e, -ENAMETOOLONG, "path too long");
	if (r == 0) {
		*ret_created = access(final, F_OK) < 0;
		r = hs_rename_durable(tmp, final, e);
	}
	if (r < 0 && access(tmp, F_OK) == 0) {
		/* Not moved: nothing was created (a failed fsync after the
		 * move leaves final to the caller's clean-up). */
		*ret_created = false;
		(void)unlink(tmp);
	}
	return r;
}

/* Removes what a failed add wrote: the urls in created, and the package's
 * when it is new. */
static void repo_add_undo(const struct repo *repo, json_t *created,
			  const char *pkg_url)
{
	char path[PATH_MAX];
	json_t *u;
	size_t i;

	json_array_foreach(created, i, u)
	{
		if (repo_path(repo, json_string_value(u), path, sizeof(path),
			      NULL) == 0)
			(void)unlink(path);
	}
	if (pkg_url != NULL &&
	    repo_path(repo, pkg_url, path, sizeof(path), NULL) == 0)
		(void)unlink(path);
}

json_t *repo_component(const struct repo *repo, const char *name)
{
	return json_object_get(json_object_get(repo->index, "components"),
			       name);
}

static json_t *repo_component_new(struct repo *repo, const char *name)
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

/* The version the next manifest names: "current", else the highest. */
static const char *repo_current(json_t *comp)
{
	json_t *versions = json_object_get(comp, "versions");
	const char *cur = json_string_value(json_object_get(comp, "current"));

	if (cur != NULL && json_object_get(versions, cur) != NULL)
		return cur;
	return index_highest(versions);
}

/*
 * Whether version becomes comp's current version (comp NULL: a new
 * component), and whether the minimum then stays at or below it.
 */
static int repo_check_add(json_t *comp, const char *version,
			  const struct repo_add_opts *o, bool *ret_current,
			  struct hs_err *e)
{
	const char *cur = comp != NULL ? repo_current(comp) : NULL;
	const char *min = o->minimum;
	bool current;

	if (!o->forced && (o->deadline != 0 || o->allow_downgrade))
		return hs_err_set(e, -EINVAL,
				  "a deadline or a downgrade needs a forced "
				  "entry");
	current = cur == NULL || o->forced || version_compare(version, cur) > 0;
	if (min == NULL && comp != NULL)
		min = json_string_value(json_object_get(comp, "minimum"));
	if (min == NULL)
		min = version;
	if (version_is_valid(min) &&
	    version_compare(min, current ? version : cur) > 0)
		return hs_err_set(e, -EINVAL,
				  "the minimum %s would be above the current "
				  "version %s (give --minimum)",
				  min, current ? version : cur);
	*ret_current = current;
	return 0;
}

/* Sets or removes the "forced" object of a version's record. */
static int repo_set_forced(json_t *v, const struct repo_add_opts *o)
{
	char when[21];
	json_t *jf;

	if (!o->forced) {
		(void)json_object_del(v, "forced"); /* -1: there was none */
		return 0;
	}
	jf = json_pack("{s:b}", "allow_downgrade", o->allow_downgrade);
	if (jf != NULL && o->deadline != 0) {
		hs_time_format(o->deadline, when);
		if (json_object_set_new(jf, "deadline", json_string(when)) <
		    0) {
			json_decref(jf);
			return -ENOMEM;
		}
	}
	return json_object_set_new(v, "forced", jf) < 0 ? -ENOMEM : 0;
}

/* The component's set: NULL keeps it, "" takes it out of any. */
static int repo_record_set(json_t *comp, const char *set, struct hs_err *e)
{
	if (set == NULL)
		return 0;
	if (set[0] == '\0') {
		(void)json_object_del(comp, "set"); /* -1: it was in none */
		return 0;
	}
	if (json_object_set_new(comp, "set", json_string(set)) < 0)
		return hs_err_set(e, -ENOMEM, "out of memory");
	return 0;
}

static int repo_record(json_t *comp, const char *version,
		       const struct repo_add_opts *o, bool current,
		       const struct manifest_package *pkg, struct hs_err *e)
{
	json_t *versions = json_object_get(comp, "versions");
	json_t *v = json_object_get(versions, version);
	const char *old_sha = json_string_value(json_object_get(v, "sha256"));
	const char *minimum = o->minimum;

	if (v != NULL && (old_sha == NULL || strcmp(old_sha, pkg->sha256)))
		return hs_err_set(e, -EEXIST,
				  "version %s was published before with other "
				  "contents; publish a new version instead",
				  version);
	if (v == NULL) {
		v = json_object();
		if (v == NULL || json_object_set_new(versions, version, v) < 0)
			return hs_err_set(e, -ENOMEM, "out of memory");
	}
	if (json_object_set_new(v, "url", json_string(pkg->url)) < 0 ||
	    json_object_set_new(v, "size",
				json_integer((json_int_t)pkg->size)) < 0 ||
	    json_object_set_new(v, "sha256", json_string(pkg->sha256)) < 0 ||
	    json_object_set_new(v, "tar_size",
				json_integer((json_int_t)pkg->tar_size)) < 0 ||
	    json_object_set_new(v, "tar_sha256", json_string(pkg->tar_sha256)) <
		    0 ||
	    repo_set_forced(v, o) < 0 ||
	    (current &&
	     json_object_set_new(comp, "current", json_string(version)) < 0))
		return hs_err_set(e, -ENOMEM, "out of memory");
	if (minimum == NULL && json_is_null(json_object_get(comp, "minimum")))
		minimum = version;
	if ((minimum != NULL &&
	     json_object_set_new(comp, "minimum", json_string(minimum)) < 0) ||
	    (o->restart != NULL &&
	     json_object_set_new(comp, "restart", json_string(o->restart)) < 0))
		return hs_err_set(e, -ENOMEM, "out of memory");
	return repo_record_set(comp, o->set, e);
}

int repo_add(struct repo *repo, const char *name, const char *version,
	     const char *tree, const struct repo_add_opts *o,
	     struct manifest_package *ret_pkg, struct hs_err *e)
{
	enum manifest_restart rs;
	struct manifest_package pkg;
	bool current = false;
	bool pkg_created = false;
	json_t *created;
	json_t *comp;
	int r;

	if (!version_name_is_valid(name))
		return hs_err_set(e, -EINVAL,
				  "invalid component name '%s' (use a-z, 0-9, "
				  "'.', '_', '-')",
				  name);
	if (!version_is_valid(version))
		return hs_err_set(e, -EINVAL, "invalid version '%s'", version);
	if (o->minimum != NULL && !version_is_valid(o->minimum))
		return hs_err_set(e, -EINVAL, "invalid minimum '%s'",
				  o->minimum);
	if (o->restart != NULL && manifest_restart_parse(o->restart, &rs) < 0)
		return hs_err_set(e, -EINVAL,
				  "restart '%s' is not none, app or system",
				  o->restart);
	if (o->set != NULL && o->set[0] != '\0' &&
	    !version_name_is_valid(o->set))
		return hs_err_set(e, -EINVAL,
				  "invalid set name '%s' (use a-z, 0-9, '.', "
				  "'_', '-'; \"\" for none)",
				  o->set);
	if (o->deltas > HS_MANIFEST_MAX_DELTAS)
		return hs_err_set(e, -EINVAL, "at most %d deltas",
				  HS_MANIFEST_MAX_DELTAS);
	r = repo_check_add(repo_component(repo, name), version, o, &current, e);
	if (r < 0)
		return r;
	memset(&pkg, 0, sizeof(pkg));
	created = json_array();
	if (created == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	r = repo_store_package(repo, name, tree, &pkg, &pkg_created, e);
	comp = r == 0 ? repo_component_new(repo, name) : NULL;
	if (r == 0 && comp == NULL)
		r = hs_err_set(e, -ENOMEM, "out of memory");
	if (r == 0)
		r = repo_record(comp, version, o, current, &pkg, e);
	if (r == 0)
		r = repo_deltas_make(
			repo, name, version,
			json_object_get(json_object_get(comp, "versions"),
					version),
			o->deltas, created, e);
	if (r == 0)
		r = repo_save_index(repo, e);
	if (r == 0)
		*ret_pkg = pkg;
	else
		repo_add_undo(repo, created, pkg_created ? pkg.url : NULL);
	json_decref(created);
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

static int index_forced(json_t *v, struct manifest_component *c)
{
	json_t *jf = json_object_get(v, "forced");
	const char *when;

	if (jf == NULL)
		return 0;
	c->forced = true;
	c->allow_downgrade =
		json_is_true(json_object_get(jf, "allow_downgrade"));
	when = json_string_value(json_object_get(jf, "deadline"));
	if (when != NULL && hs_time_parse(when, &c->deadline) < 0)
		return -EBADMSG;
	return 0;
}

/* Fills c from the index record of one component at one version. */
static int repo_fill(const struct repo *repo, const char *name, json_t *comp,
		     const char *version, struct manifest_component *c,
		     struct hs_err *e)
{
	json_t *v = json_object_get(json_object_get(comp, "versions"), version);
	char restart[16];
	int r;

	if (v == NULL)
		return hs_err_set(e, -ENOENT, "'%s' has no version %s", name,
				  version);
	r = hs_strlcpy(c->name, name, sizeof(c->name));
	if (r == 0)
		r = hs_strlcpy(c->version, version, sizeof(c->version));
	if (r == 0)
		r = index_str(comp, "minimum", c->minimum, sizeof(c->minimum));
	if (r == 0)
		r = index_str(comp, "restart", restart, sizeof(restart));
	if (r == 0)
		r = manifest_restart_parse(restart, &c->restart);
	if (r == 0 && json_object_get(comp, "set") != NULL)
		r = index_str(comp, "set", c->set, sizeof(c->set));
	if (r == 0 && c->set[0] != '\0' && !version_name_is_valid(c->set))
		r = -EBADMSG;
	if (r == 0)
		r = index_str(v, "url", c->package.url, sizeof(c->package.url));
	if (r == 0)
		r = index_str(v, "sha256", c->package.sha256,
			      sizeof(c->package.sha256));
	if (r == 0)
		r = index_forced(v, c);
	c->package.size =
		(uint64_t)json_integer_value(json_object_get(v, "size"));
	if (r < 0 || !version_is_valid(c->minimum))
		return hs_err_set(e, -EBADMSG,
				  "the index entry of '%s' is damaged", name);
	if (version_compare(c->minimum, c->version) > 0)
		return hs_err_set(e, -EINVAL,
				  "'%s': minimum %s is above version %s", name,
				  c->minimum, c->version);
	r = repo_tar_ensure(repo, v, e);
	if (r == 0)
		r = repo_deltas_fill(repo, v, c, e);
	if (r < 0)
		hs_err_prefix(e, "'%s' %s: ", name, version);
	return r;
}

int repo_entry(struct repo *repo, const char *name, const char *version,
	       struct manifest_component *ret_c, struct hs_err *e)
{
	json_t *comp = repo_component(repo, name);
	struct manifest_component c;
	int r;

	if (comp == NULL)
		return hs_err_set(e, -ENOENT,
				  "the repository has no component '%s'", name);
	if (version == NULL)
		version = repo_current(comp);
	if (version == NULL)
		return hs_err_set(e, -ENOENT, "component '%s' has no version",
				  name);
	memset(&c, 0, sizeof(c));
	r = repo_fill(repo, name, comp, version, &c, e);
	if (r == 0)
		*ret_c = c;
	return r;
}

const char *repo_current_version(const struct repo *repo, const char *name)
{
	json_t *comp = repo_component(repo, name);

	return comp != NULL ? repo_current(comp) : NULL;
}

static json_t *repo_version(const struct repo *repo, const char *name,
			    const char *version, struct hs_err *e)
{
	json_t *comp = repo_component(repo, name);
	json_t *v = json_object_get(json_object_get(comp, "versions"), version);

	if (v == NULL)
		(void)hs_err_set(e, -ENOENT, "the repository has no %s %s",
				 name, version);
	return v;
}

int repo_endorsement(const struct repo *repo, const char *name,
		     const char *version, char ret_vendor[HS_NAME_MAX + 1],
		     char **ret_env, struct hs_err *e)
{
	json_t *v = repo_version(repo, name, version, e);
	char vendor[HS_NAME_MAX + 1];
	json_t *env;
	char *s;

	if (v == NULL)
		return -ENOENT;
	env = json_object_get(v, "entry");
	if (env == NULL) {
		*ret_env = NULL;
		return 0;
	}
	if (!json_is_object(env) ||
	    index_str(v, "vendor", vendor, sizeof(vendor)) < 0)
		return hs_err_set(e, -EBADMSG,
				  "the index entry of '%s' %s is damaged", name,
				  version);
	s = json_dumps(env, JSON_COMPACT);
	if (s == NULL)
		return hs_err_set(e, -ENOMEM, "out of memory");
	memcpy(ret_vendor, vendor, sizeof(vendor));
	*ret_env = s;
	return 0;
}

int repo_endorse(struct repo *repo, const char *name, const char *version,
		 const char *vendor, const char *env, struct hs_err *e)
{
	json_t *v = repo_version(repo, name, version, e);
	json_error_t jerr;
	json_t *jenv;

	if (v == NULL)
		return -ENOENT;
	jenv = json_loads(env, JSON_REJECT_DUPLICATES, &jerr);
	if (jenv == NULL)
		return hs_err_set(e, -EBADMSG, "envelope: %s", jerr.text);
	if (json_object_set_new(v, "entry", jenv) < 0 ||
	    json_object_set_new(v, "vendor", json_string(vendor)) < 0)
		return hs_err_set(e, -ENOMEM, "out of memory");
	return repo_save_index(repo, e);
}

int repo_foreach_name(const struct repo *repo, repo_name_fn *fn, void *ctx,
		      struct hs_err *e)
{
	json_t *comps = json_object_get(repo->index, "components");
	const char *name;
	json_t *comp;
	int r;

	json_object_foreach(comps, name, comp)
	{
		r = fn(ctx, name, e);
		if (r < 0)
			return r;
	}
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
		r = repo_entry(repo, name, NULL,
			       &m->components[m->n_components++], e);
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

int repo_root(const struct repo *repo, struct root **ret_root, struct hs_err *e)
{
	char path[PATH_MAX];
	int r;

	r = repo_path(repo, "root.json", path, sizeof(path), e);
	if (r < 0)
		return r;
	return trust_root_load_file(path, ret_root, e);
}

int repo_set_serial(struct repo *repo, uint64_t serial, struct hs_err *e)
{
	if (json_object_set_new(repo->index, "serial",
				json_integer((json_int_t)serial)) < 0)
		return hs_err_set(e, -ENOMEM, "out of memory");
	return repo_save_index(repo, e);
}
