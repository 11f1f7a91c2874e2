/*
 * rvss — the hard-link rule's bookkeeping (see links.h).
 *
 * A fixed ring of batch slots: the walking thread fills a free slot and
 * queues it; helpers take queued slots, fetch the link counts and give
 * the slot back.  When no slot is free the walking thread counts the
 * oldest queued batch itself rather than wait, so the walk never stalls
 * on helpers that are busy and a walk without helpers is the same code.
 *
 * Threads and talloc: talloc is not thread-safe within one hierarchy.
 * Helpers allocate only under mu (the hash, the error list) or with
 * malloc (their path buffer); the caller allocates only in its own slots.
 * Nothing is reported from a helper: statx errors are kept and passed to
 * on_error by rvss_links_finish(), on the caller's thread.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "links.h"
#include "btrfs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define SLOTS_PER_HELPER 4

struct link_ent {
	uint64_t dev;
	uint64_t ino;
	uint32_t nlink;
	uint32_t seen;   /* 0 = empty slot */
	char *path;      /* smallest path seen */
};

/* A batch: one directory's regular files. */
struct batch {
	int dirfd;
	char *dir;       /* path of the directory, NUL-terminated */
	size_t dir_len;
	struct rvss_links_ent *ents;
	unsigned n;
	unsigned ents_cap;
	char *names;
	size_t names_cap;
};

/* What one thread needs to count a batch. */
struct scratch {
	struct rvss_links *l;
	void *buf;              /* RVSS_BTRFS_NLINK_BUF, tree search */
	uint64_t *inos;         /* sorted */
	uint32_t *order;        /* batch index of inos[i] */
	uint32_t *nlink;
	char *path;          /* malloc'd: helpers must not talloc */
	size_t path_cap;
};

struct stat_error {
	char *path;
	int err;
};

struct rvss_links {
	struct rvss_links_opts o;
	uint64_t root_dev;
	uint64_t tree_id;
	atomic_bool tree_search;   /* cleared if the ioctl stops working */
	bool tree_search_used;

	pthread_mutex_t mu;        /* everything below */
	pthread_cond_t queued_cv;  /* a batch was queued, or quit */
	pthread_cond_t free_cv;    /* a slot came free */
	struct batch *slots;
	unsigned nslots;
	unsigned *freelist;        /* slot numbers */
	unsigned nfree;
	unsigned *queue;           /* ring of queued slot numbers */
	unsigned qhead;
	unsigned qlen;
	bool quit;
	pthread_t *tids;
	unsigned nthreads;
	struct scratch *scratch;   /* [0] the caller's, [1..] helpers' */

	struct link_ent *ent;      /* open-addressing hash */
	size_t cap;
	size_t used;
	char *overflow;            /* first file that did not fit */
	struct stat_error *errors; /* statx failures, for rvss_links_finish */
	size_t nerrors;
	int err;
};

/* ---- the hash (called with mu held) -------------------------------------- */

static size_t link_hash(uint64_t dev, uint64_t ino)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ull ^ dev * 0xc2b2ae3d27d4eb4full;

	return (size_t)(h ^ (h >> 31));
}

static int link_grow(struct rvss_links *l)
{
	size_t ncap = l->cap == 0 ? 256 : l->cap * 2;
	struct link_ent *n = NULL;
	size_t i;

	n = talloc_zero_array(l, struct link_ent, ncap);
	if (n == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < l->cap; i++) {
		size_t j;

		if (l->ent[i].seen == 0) {
			continue;
		}
		j = link_hash(l->ent[i].dev, l->ent[i].ino) & (ncap - 1);
		while (n[j].seen != 0) {
			j = (j + 1) & (ncap - 1);
		}
		n[j] = l->ent[i];
		(void)talloc_steal(n, n[j].path);
	}
	talloc_free(l->ent);
	l->ent = n;
	l->cap = ncap;
	return 0;
}

static void count_locked(struct rvss_links *l, uint64_t dev, uint64_t ino,
			 uint32_t nlink, const char *path)
{
	size_t j;

	if (l->cap != 0) {
		j = link_hash(dev, ino) & (l->cap - 1);
		while (l->ent[j].seen != 0) {
			struct link_ent *e = &l->ent[j];

			if (e->dev == dev && e->ino == ino) {
				e->seen++;
				/* The smallest path: the same whichever
				 * thread came first. */
				if (strcmp(path, e->path) < 0) {
					char *p = talloc_strdup(l->ent, path);

					if (p == NULL) {
						l->err = -ENOMEM;
						return;
					}
					talloc_free(e->path);
					e->path = p;
				}
				return;
			}
			j = (j + 1) & (l->cap - 1);
		}
	}
	if (l->used >= l->o.max_links) {
		if (l->overflow == NULL) {
			l->overflow = talloc_strdup(l, path);
			if (l->overflow == NULL) {
				l->err = -ENOMEM;
			}
		}
		return;
	}
	if ((l->used + 1) * 2 > l->cap && link_grow(l) != 0) {
		l->err = -ENOMEM;
		return;
	}
	j = link_hash(dev, ino) & (l->cap - 1);
	while (l->ent[j].seen != 0) {
		j = (j + 1) & (l->cap - 1);
	}
	l->ent[j].path = talloc_strdup(l->ent, path);
	if (l->ent[j].path == NULL) {
		l->err = -ENOMEM;
		return;
	}
	l->ent[j].dev = dev;
	l->ent[j].ino = ino;
	l->ent[j].nlink = nlink;
	l->ent[j].seen = 1;
	l->used++;
}

void rvss_links_count(struct rvss_links *l, uint64_t dev, uint64_t ino,
		      uint32_t nlink, const char *path)
{
	pthread_mutex_lock(&l->mu);
	count_locked(l, dev, ino, nlink, path);
	pthread_mutex_unlock(&l->mu);
}

/* ---- counting one batch (any thread, no lock held) ---------------------- */

static const char *batch_path(struct scratch *s, const struct batch *b,
			      const char *name)
{
	size_t nlen = strlen(name);
	size_t need = b->dir_len + 1 + nlen + 1;
	char *p = NULL;

	if (need > s->path_cap) {
		p = realloc(s->path, need * 2);
		if (p == NULL) {
			return NULL;
		}
		s->path = p;
		s->path_cap = need * 2;
	}
	p = s->path;
	memcpy(p, b->dir, b->dir_len);
	if (b->dir_len > 0) {
		p[b->dir_len] = '/';
		memcpy(p + b->dir_len + 1, name, nlen + 1);
	} else {
		memcpy(p, name, nlen + 1);
	}
	return p;
}

static void found(struct rvss_links *l, struct scratch *s,
		  const struct batch *b, unsigned i, uint64_t dev,
		  uint64_t ino, uint32_t nlink)
{
	const char *path = batch_path(s, b, b->names + b->ents[i].name_off);

	pthread_mutex_lock(&l->mu);
	if (path == NULL) {
		l->err = -ENOMEM;
	} else {
		count_locked(l, dev, ino, nlink, path);
	}
	pthread_mutex_unlock(&l->mu);
}

/* With mu held. */
static void keep_error(struct rvss_links *l, const char *path, int err)
{
	struct stat_error *n = NULL;

	if (path == NULL) {
		l->err = -ENOMEM;
		return;
	}
	n = talloc_realloc(l, l->errors, struct stat_error, l->nerrors + 1);
	if (n == NULL) {
		l->err = -ENOMEM;
		return;
	}
	l->errors = n;
	n[l->nerrors].path = talloc_strdup(n, path);
	n[l->nerrors].err = err;
	if (n[l->nerrors].path == NULL) {
		l->err = -ENOMEM;
		return;
	}
	l->nerrors++;
}

static void stat_one(struct rvss_links *l, struct scratch *s,
		     const struct batch *b, unsigned i)
{
	const char *name = b->names + b->ents[i].name_off;
	struct statx stx;

	if (statx(b->dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
		  STATX_TYPE | STATX_NLINK | STATX_INO, &stx) != 0) {
		int err = errno;

		/* ENOENT: removed while we walk, as find would skip it. */
		if (err != ENOENT) {
			const char *path = batch_path(s, b, name);

			pthread_mutex_lock(&l->mu);
			keep_error(l, path, err);
			pthread_mutex_unlock(&l->mu);
		}
		return;
	}
	if (S_ISREG(stx.stx_mode) && stx.stx_nlink > 1) {
		found(l, s, b, i,
		      makedev(stx.stx_dev_major, stx.stx_dev_minor),
		      stx.stx_ino, stx.stx_nlink);
	}
}

static int cmp_ino(const void *a, const void *b)
{
	const uint64_t *x = a;
	const uint64_t *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* Sort the batch by inode number into s->inos / s->order. */
static void sort_batch(struct scratch *s, const struct batch *b)
{
	/* (ino, index) pairs, sorted in the search buffer (unused yet). */
	struct pair {
		uint64_t ino;
		uint64_t idx;
	} *pairs = (struct pair *)s->buf;
	unsigned i;

	for (i = 0; i < b->n; i++) {
		pairs[i].ino = b->ents[i].ino;
		pairs[i].idx = i;
	}
	qsort(pairs, b->n, sizeof(*pairs), cmp_ino);
	for (i = 0; i < b->n; i++) {
		s->inos[i] = pairs[i].ino;
		s->order[i] = (uint32_t)pairs[i].idx;
	}
}

static void count_batch(struct rvss_links *l, struct scratch *s,
			const struct batch *b)
{
	unsigned i;
	int ret;

	if (atomic_load(&l->tree_search)) {
		sort_batch(s, b);
		ret = rvss_btrfs_inode_nlinks(l->o.root_fd, l->tree_id,
					      s->inos, b->n, s->nlink, s->buf,
					      RVSS_BTRFS_NLINK_BUF);
		if (ret == 0) {
			for (i = 0; i < b->n; i++) {
				if (s->nlink[i] == 0) {
					/* Not in the tree (yet): ask. */
					stat_one(l, s, b, s->order[i]);
				} else if (s->nlink[i] > 1) {
					found(l, s, b, s->order[i],
					      l->root_dev, s->inos[i],
					      s->nlink[i]);
				}
			}
			return;
		}
		atomic_store(&l->tree_search, false);
	}
	for (i = 0; i < b->n; i++) {
		stat_one(l, s, b, i);
	}
}

/* ---- the ring ------------------------------------------------------------ */

static void release(struct rvss_links *l, unsigned slot)
{
	struct batch *b = &l->slots[slot];

	if (b->dirfd >= 0) {
		close(b->dirfd);
		b->dirfd = -1;
	}
	l->freelist[l->nfree++] = slot;
	pthread_cond_signal(&l->free_cv);
}

static unsigned dequeue(struct rvss_links *l)
{
	unsigned slot = l->queue[l->qhead];

	l->qhead = (l->qhead + 1) % l->nslots;
	l->qlen--;
	return slot;
}

static void *helper_main(void *arg)
{
	struct scratch *s = arg;
	struct rvss_links *l = s->l;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		unsigned slot;

		while (l->qlen == 0 && !l->quit) {
			pthread_cond_wait(&l->queued_cv, &l->mu);
		}
		if (l->qlen == 0) {
			break;
		}
		slot = dequeue(l);
		pthread_mutex_unlock(&l->mu);
		count_batch(l, s, &l->slots[slot]);
		pthread_mutex_lock(&l->mu);
		release(l, slot);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static void stop_helpers(struct rvss_links *l)
{
	unsigned i;

	pthread_mutex_lock(&l->mu);
	l->quit = true;
	pthread_cond_broadcast(&l->queued_cv);
	pthread_mutex_unlock(&l->mu);
	for (i = 0; i < l->nthreads; i++) {
		pthread_join(l->tids[i], NULL);
	}
	l->nthreads = 0;
}

static int links_destructor(struct rvss_links *l)
{
	unsigned i;

	stop_helpers(l);
	for (i = 0; l->scratch != NULL && i <= l->o.helpers; i++) {
		free(l->scratch[i].path);
	}
	for (i = 0; i < l->nslots; i++) {
		if (l->slots[i].dirfd >= 0) {
			close(l->slots[i].dirfd);
		}
	}
	pthread_cond_destroy(&l->queued_cv);
	pthread_cond_destroy(&l->free_cv);
	pthread_mutex_destroy(&l->mu);
	return 0;
}

static int scratch_init(struct rvss_links *l, struct scratch *s)
{
	s->l = l;
	s->buf = talloc_size(l->scratch, RVSS_BTRFS_NLINK_BUF);
	s->inos = talloc_array(l->scratch, uint64_t, RVSS_LINKS_BATCH_MAX);
	s->order = talloc_array(l->scratch, uint32_t, RVSS_LINKS_BATCH_MAX);
	s->nlink = talloc_array(l->scratch, uint32_t, RVSS_LINKS_BATCH_MAX);
	if (s->buf == NULL || s->inos == NULL || s->order == NULL ||
	    s->nlink == NULL) {
		return -ENOMEM;
	}
	return 0;
}

/* Can the tree be searched here?  Probe with the root's own inode. */
static bool tree_search_works(struct rvss_links *l, uint64_t root_ino)
{
	uint32_t nlink = 0;

	if (rvss_btrfs_subvolume_id_fd(l->o.root_fd, &l->tree_id) != 0) {
		return false;
	}
	if (rvss_btrfs_inode_nlinks(l->o.root_fd, l->tree_id, &root_ino, 1,
				    &nlink, l->scratch[0].buf,
				    RVSS_BTRFS_NLINK_BUF) != 0 ||
	    nlink == 0) {
		return false; /* EPERM: not root; or not what we think */
	}
	/* Inode items reach the tree lazily: commit what is pending. */
	return rvss_btrfs_sync(l->o.root_fd) == 0;
}

int rvss_links_start(TALLOC_CTX *mem_ctx, const struct rvss_links_opts *o,
		     struct rvss_links **ret)
{
	struct rvss_links *l = NULL;
	struct statx stx;
	unsigned i;

	if (statx(o->root_fd, "", AT_EMPTY_PATH, STATX_INO, &stx) != 0) {
		return -errno;
	}
	l = talloc_zero(mem_ctx, struct rvss_links);
	if (l == NULL) {
		return -ENOMEM;
	}
	l->o = *o;
	l->root_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->queued_cv, NULL);
	pthread_cond_init(&l->free_cv, NULL);
	talloc_set_destructor(l, links_destructor);

	l->nslots = o->helpers * SLOTS_PER_HELPER + 1;
	l->slots = talloc_zero_array(l, struct batch, l->nslots);
	l->freelist = talloc_array(l, unsigned, l->nslots);
	l->queue = talloc_array(l, unsigned, l->nslots);
	l->scratch = talloc_zero_array(l, struct scratch, o->helpers + 1);
	l->tids = talloc_array(l, pthread_t, o->helpers + 1);
	if (l->slots == NULL || l->freelist == NULL || l->queue == NULL ||
	    l->scratch == NULL || l->tids == NULL) {
		goto nomem;
	}
	for (i = 0; i < l->nslots; i++) {
		l->slots[i].dirfd = -1;
		l->freelist[l->nfree++] = i;
	}
	for (i = 0; i <= o->helpers; i++) {
		if (scratch_init(l, &l->scratch[i]) != 0) {
			goto nomem;
		}
	}
	if (o->tree_search && tree_search_works(l, stx.stx_ino)) {
		atomic_store(&l->tree_search, true);
		l->tree_search_used = true;
	}
	for (i = 1; i <= o->helpers; i++) {
		if (pthread_create(&l->tids[l->nthreads], NULL, helper_main,
				   &l->scratch[i]) != 0) {
			break; /* fewer helpers; the caller counts the rest */
		}
		l->nthreads++;
	}
	*ret = l;
	return 0;
nomem:
	talloc_free(l);
	return -ENOMEM;
}

static int fill(struct rvss_links *l, struct batch *b, int dirfd,
		const char *dir, size_t dir_len,
		const struct rvss_links_ent *ents, unsigned n,
		const char *names)
{
	size_t names_len = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		size_t end = ents[i].name_off +
			     strlen(names + ents[i].name_off) + 1;

		if (end > names_len) {
			names_len = end;
		}
	}
	if (n > b->ents_cap) {
		struct rvss_links_ent *e =
			talloc_realloc(l->slots, b->ents,
				       struct rvss_links_ent, n);
		if (e == NULL) {
			return -ENOMEM;
		}
		b->ents = e;
		b->ents_cap = n;
	}
	if (names_len > b->names_cap) {
		char *p = talloc_realloc(l->slots, b->names, char, names_len);

		if (p == NULL) {
			return -ENOMEM;
		}
		b->names = p;
		b->names_cap = names_len;
	}
	if (dir_len + 1 > talloc_get_size(b->dir)) {
		char *p = talloc_realloc(l->slots, b->dir, char, dir_len + 1);

		if (p == NULL) {
			return -ENOMEM;
		}
		b->dir = p;
	}
	b->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (b->dirfd < 0) {
		return -errno;
	}
	memcpy(b->ents, ents, n * sizeof(*ents));
	memcpy(b->names, names, names_len);
	memcpy(b->dir, dir, dir_len);
	b->dir[dir_len] = '\0';
	b->dir_len = dir_len;
	b->n = n;
	return 0;
}

int rvss_links_add(struct rvss_links *l, int dirfd, const char *dir,
		   size_t dir_len, const struct rvss_links_ent *ents,
		   unsigned n, const char *names)
{
	struct scratch *mine = &l->scratch[0];
	unsigned slot;
	int ret;

	if (n == 0) {
		return 0;
	}
	if (n > RVSS_LINKS_BATCH_MAX) {
		return -EINVAL;
	}
	pthread_mutex_lock(&l->mu);
	while (l->nfree == 0) {
		if (l->qlen > 0) {
			/* Busy helpers: count the oldest batch ourselves. */
			slot = dequeue(l);
			pthread_mutex_unlock(&l->mu);
			count_batch(l, mine, &l->slots[slot]);
			pthread_mutex_lock(&l->mu);
			release(l, slot);
		} else {
			pthread_cond_wait(&l->free_cv, &l->mu);
		}
	}
	slot = l->freelist[--l->nfree];
	pthread_mutex_unlock(&l->mu);

	/* The slot is ours alone until queued. */
	ret = fill(l, &l->slots[slot], dirfd, dir, dir_len, ents, n, names);

	pthread_mutex_lock(&l->mu);
	if (ret != 0) {
		release(l, slot);
		pthread_mutex_unlock(&l->mu);
		return ret;
	}
	if (l->nthreads == 0) {
		pthread_mutex_unlock(&l->mu);
		count_batch(l, mine, &l->slots[slot]);
		pthread_mutex_lock(&l->mu);
		release(l, slot);
	} else {
		l->queue[(l->qhead + l->qlen) % l->nslots] = slot;
		l->qlen++;
		pthread_cond_signal(&l->queued_cv);
	}
	pthread_mutex_unlock(&l->mu);
	return 0;
}

int rvss_links_finish(struct rvss_links *l)
{
	/* Helpers drain the queue before they see quit. */
	stop_helpers(l);
	pthread_mutex_lock(&l->mu);
	while (l->qlen > 0) {
		unsigned slot = dequeue(l);

		pthread_mutex_unlock(&l->mu);
		count_batch(l, &l->scratch[0], &l->slots[slot]);
		pthread_mutex_lock(&l->mu);
		release(l, slot);
	}
	pthread_mutex_unlock(&l->mu);
	for (size_t i = 0; i < l->nerrors && l->o.on_error != NULL; i++) {
		l->o.on_error(l->o.priv, l->errors[i].path, l->errors[i].err);
	}
	return l->err;
}

const char *rvss_links_overflow(const struct rvss_links *l)
{
	return l->overflow;
}

bool rvss_links_used_tree_search(const struct rvss_links *l)
{
	return l->tree_search_used && atomic_load(&l->tree_search);
}

void rvss_links_report(const struct rvss_links *l,
		       void (*fn)(void *priv, const char *path,
				  uint32_t nlink, uint32_t seen),
		       void *priv)
{
	size_t i;

	for (i = 0; i < l->cap; i++) {
		const struct link_ent *e = &l->ent[i];

		if (e->seen != 0 && e->seen < e->nlink) {
			fn(priv, e->path, e->nlink, e->seen);
		}
	}
}
