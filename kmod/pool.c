// SPDX-License-Identifier: GPL-2.0
/*
 * Fixed-size records, allocated once at load: memory stays what the module
 * parameters say, and nothing is allocated where it may not be (tracepoints
 * under a raw spinlock, probe handlers).
 *
 * A deleted record may still be read under RCU, so it is reused only after a
 * grace period: its RCU callback puts it on the pool's "freed" llist
 * (lock-free: the callback may run in softirq context); cp_pool_get(), under
 * cp_lock, takes from the free list and refills that from the freed llist.
 * Reusing records at once and revalidating them in readers, as
 * SLAB_TYPESAFE_BY_RCU allows, would not be safe: a probe handler counts into
 * the record it found without looking again, so a record reused meanwhile
 * for another process would be charged with the old one's faults.
 */
#include <linux/cache.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "cowprobe.h"

int cp_pool_init(struct cp_pool *pool, unsigned int count, size_t size,
		 size_t node_off)
{
	unsigned int i;

	pool->size = size;
	pool->stride = ALIGN(size, SMP_CACHE_BYTES);
	pool->node_off = node_off;
	pool->count = count;
	pool->mem = kvcalloc(count, pool->stride, GFP_KERNEL | __GFP_NOWARN);
	if (!pool->mem)
		return -ENOMEM;
	pool->free = NULL;
	init_llist_head(&pool->freed);
	for (i = count; i > 0; i--) {
		struct llist_node *n = pool->mem + (i - 1) * pool->stride +
				       node_off;

		n->next = pool->free;
		pool->free = n;
	}
	return 0;
}

void cp_pool_destroy(struct cp_pool *pool)
{
	kvfree(pool->mem);
	pool->mem = NULL;
}

/* A zeroed record, or NULL when every one is in use or waiting for RCU. */
void *cp_pool_get(struct cp_pool *pool)
{
	struct llist_node *n;
	void *obj;

	lockdep_assert_held(&cp_lock);
	if (!pool->free)
		pool->free = llist_del_all(&pool->freed);
	n = pool->free;
	if (!n)
		return NULL;
	pool->free = n->next;
	obj = (void *)n - pool->node_off;
	memset(obj, 0, pool->size);
	return obj;
}

/* Any context: from RCU callbacks once no reader can hold the record. */
void cp_pool_put(struct cp_pool *pool, struct llist_node *node)
{
	llist_add(node, &pool->freed);
}
