package server

import (
	"container/list"
	"sync"
)

// thumbKey identifies a thumbnail: the image's id and the modification
// time and size of its file, so that a replaced file gets a new one.
type thumbKey struct {
	id   uint64
	mod  int64
	size int64
}

type thumbItem struct {
	key  thumbKey
	data []byte
}

// thumbCache is a least-recently-used cache of encoded thumbnails bounded
// by the bytes it holds.
type thumbCache struct {
	mu    sync.Mutex
	limit int
	used  int
	order *list.List // of *thumbItem, most recently used first
	byID  map[uint64]*list.Element
}

func newThumbCache(limit int) *thumbCache {
	return &thumbCache{limit: limit, order: list.New(), byID: map[uint64]*list.Element{}}
}

// get returns the cached thumbnail for key.
func (c *thumbCache) get(key thumbKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[key.id]
	if !ok || el.Value.(*thumbItem).key != key {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*thumbItem).data, true
}

// put caches a thumbnail, evicting the least recently used ones beyond the
// limit. Thumbnails over an eighth of the limit are not cached.
func (c *thumbCache) put(key thumbKey, data []byte) {
	if len(data) > c.limit/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(key.id)
	c.byID[key.id] = c.order.PushFront(&thumbItem{key: key, data: data})
	c.used += len(data)
	for c.used > c.limit {
		c.removeLocked(c.order.Back().Value.(*thumbItem).key.id)
	}
}

// remove drops the thumbnail of image id.
func (c *thumbCache) remove(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(id)
}

func (c *thumbCache) removeLocked(id uint64) {
	if el, ok := c.byID[id]; ok {
		c.used -= len(el.Value.(*thumbItem).data)
		c.order.Remove(el)
		delete(c.byID, id)
	}
}

// size returns the bytes held.
func (c *thumbCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}
