package policy

import "sync"

// cacheSize bounds the number of compiled rules kept in memory. A circle
// has six rules and most circles use presets or share text, so this covers
// far more circles than one process serves at once.
const cacheSize = 10_000

// cache is the process-wide cache of compiled rules, keyed by rule text.
// It is the package's only mutable state. Rules are immutable, so sharing
// them between requests and goroutines is safe; every node of a cluster
// builds its own cache from the same texts.
var cache = &ruleCache{rules: make(map[string]*Rule)}

// ruleCache is a bounded map of compiled rules, safe for concurrent use.
// When full it drops an arbitrary entry (Go's map order is unspecified),
// which is cheap and, for a working set far below the bound, rarely
// matters; a dropped rule is simply compiled again.
type ruleCache struct {
	mu    sync.RWMutex
	rules map[string]*Rule
}

// get returns the compiled rule for text, if cached.
func (c *ruleCache) get(text string) (*Rule, bool) {
	c.mu.RLock()
	r, ok := c.rules[text]
	c.mu.RUnlock()
	return r, ok
}

// put caches r for text and returns the cached rule, which is an earlier
// one if another goroutine compiled the same text first, so that callers
// always share one *Rule per text.
func (c *ruleCache) put(text string, r *Rule) *Rule {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.rules[text]; ok {
		return old
	}
	if len(c.rules) >= cacheSize {
		for k := range c.rules {
			delete(c.rules, k)
			break
		}
	}
	c.rules[text] = r
	return r
}

// len returns the number of cached rules.
func (c *ruleCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.rules)
}
