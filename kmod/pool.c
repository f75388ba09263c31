// SPDX-License-Identifier: GPL-2.0
/*
 * Fixed-size records in chunks that follow use: a pool starts with one
 * chunk and a work item adds the next (GFP_KERNEL, in process context)
 * once fewer than half a chunk's records are left, up to the module
 * parameter's count. Nothing is allocated where it may not be (tracepoints
 * under a raw spinlock, probe handlers): a record asked for while the next
 * chunk is still on its way is refused and counted (STATUS POOL_BEHIND), as
 * one past the limit is. Chunks are freed only at unload.
 *
 * A deleted record may still be read under RCU, so it is reused only after a
 * grace period: its RCU callback puts it on the pool's "freed" llist
 * (lock-free: the callback may run in softirq context); cp_pool_get(), under
 * cp_lock, takes from the free list and refills that from the freed llist.
 * Reusing records at once and revalidating them in readers, as
 * SLAB_TYPESAFE_BY_RCU allows, would not be safe: a probe handler counts into
 * the record it found without looking again, so a record reused meanwhile
 * for another process would be charged with the old one's faults.
 *
 * The hash tables the store finds records by (task, mm) are here too: their
 * size is fixed at load, from the limits.
 */
#include <linux/cache.h>
#include <linux/llist.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include "cowprobe.h"

/* records per chunk: 1 MiB of process records with the default buckets */
#define CP_POOL_CHUNK 256

/*
 * One more chunk, from the work item or from init (before the pool is in
 * use): the only writers of nr_chunks and allocated, and the work item
 * never runs twice at once.
 */
static int cp_pool_add_chunk(struct cp_pool *pool)
{
	struct llist_node *first = NULL, *last = NULL;
	unsigned int i, n;
	void *mem;

	n = min(pool->chunk, pool->max - READ_ONCE(pool->allocated));
	if (!n)
		return 0;
	mem = kvcalloc(n, pool->stride, GFP_KERNEL | __GFP_NOWARN);
	if (!mem)
		return -ENOMEM;
	for (i = n; i > 0; i--) {
		struct llist_node *node = mem + (i - 1) * pool->stride +
					  pool->node_off;

		node->next = first;
		first = node;
		if (!last)
			last = node;
	}
	pool->chunks[pool->nr_chunks++] = mem;
	raw_spin_lock(&cp_lock);
	last->next = pool->free;
	pool->free = first;
	WRITE_ONCE(pool->allocated, pool->allocated + n);
	raw_spin_unlock(&cp_lock);
	return 0;
}

/* Fewer than half a chunk left and room to grow: time for the next one. */
static bool cp_pool_low(const struct cp_pool *pool)
{
	unsigned int allocated = READ_ONCE(pool->allocated);

	return allocated < pool->max &&
	       allocated - atomic_read(&pool->used) < pool->chunk / 2 + 1;
}

static void cp_pool_grow(struct work_struct *work)
{
	struct cp_pool *pool = container_of(work, struct cp_pool, grow);

	/* a burst may need more than one: on until it is not low */
	while (cp_pool_low(pool))
		if (cp_pool_add_chunk(pool)) {
			pr_warn_ratelimited("cannot grow a record pool past %u records\n",
					    READ_ONCE(pool->allocated));
			break;
		}
}

int cp_pool_init(struct cp_pool *pool, unsigned int max, size_t size,
		 size_t node_off)
{
	int err;

	pool->size = size;
	pool->zero = size;
	pool->stride = ALIGN(size, SMP_CACHE_BYTES);
	pool->node_off = node_off;
	pool->max = max;
	pool->chunk = min(max, CP_POOL_CHUNK);
	pool->allocated = 0;
	pool->nr_chunks = 0;
	pool->free = NULL;
	init_llist_head(&pool->freed);
	atomic_set(&pool->used, 0);
	atomic64_set(&pool->behind, 0);
	INIT_WORK(&pool->grow, cp_pool_grow);
	pool->chunks = kcalloc(DIV_ROUND_UP(max, pool->chunk),
			       sizeof(*pool->chunks), GFP_KERNEL);
	if (!pool->chunks)
		return -ENOMEM;
	err = cp_pool_add_chunk(pool);
	if (err)
		kfree(pool->chunks);
	return err;
}

/* At unload, once nothing can take a record and every RCU callback ran. */
void cp_pool_destroy(struct cp_pool *pool)
{
	cancel_work_sync(&pool->grow);
	while (pool->nr_chunks)
		kvfree(pool->chunks[--pool->nr_chunks]);
	kfree(pool->chunks);
	pool->chunks = NULL;
}

int cp_hash_init(struct cp_hash *h, unsigned int count)
{
	unsigned int i;

	h->bits = clamp(order_base_2(count), 8, 20);
	h->heads = kvmalloc_array(1U << h->bits, sizeof(*h->heads), GFP_KERNEL);
	if (!h->heads)
		return -ENOMEM;
	for (i = 0; i < 1U << h->bits; i++)
		INIT_HLIST_HEAD(&h->heads[i]);
	return 0;
}

void cp_hash_destroy(struct cp_hash *h)
{
	kvfree(h->heads);
	h->heads = NULL;
}

/*
 * A record zeroed up to pool->zero, or NULL when every one is in use or
 * waiting for RCU.
 */
void *cp_pool_get(struct cp_pool *pool)
{
	struct llist_node *n;
	void *obj;

	lockdep_assert_held(&cp_lock);
	if (!pool->free)
		pool->free = llist_del_all(&pool->freed);
	n = pool->free;
	if (!n) {
		/* not the limit: the next chunk is late */
		if (pool->allocated < pool->max)
			atomic64_inc(&pool->behind);
		return NULL;
	}
	pool->free = n->next;
	atomic_inc(&pool->used);
	if (cp_pool_low(pool))
		queue_work(system_unbound_wq, &pool->grow);
	obj = (void *)n - pool->node_off;
	memset(obj, 0, pool->zero);
	return obj;
}

/* What a pool's records take, how many it holds now, what it refused. */
void cp_pool_info(const struct cp_pool *pool, struct cp_pool_info *info)
{
	info->bytes = pool->stride;
	info->allocated = READ_ONCE(pool->allocated);
	info->behind = atomic64_read(&pool->behind);
}

/* Any context: from RCU callbacks once no reader can hold the record. */
void cp_pool_put(struct cp_pool *pool, struct llist_node *node)
{
	llist_add(node, &pool->freed);
	atomic_dec(&pool->used);
}
