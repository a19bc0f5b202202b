package escotttest

import "time"

// expiring is a map whose entries expire and whose size is capped: the
// oldest entries are forgotten first. It keeps the fake's per-attempt memory
// flat however long escott-sim runs. Not safe for concurrent use (the
// gateway's mutex guards it).
type expiring[V any] struct {
	max  int
	next uint64 // sequence of the next put
	m    map[string]expEntry[V]
	q    []expKey // insertion order; stale keys are skipped
	head int
}

type expEntry[V any] struct {
	v   V
	exp time.Time
	seq uint64
}

type expKey struct {
	k   string
	seq uint64
}

func newExpiring[V any](maxEntries int) *expiring[V] {
	return &expiring[V]{max: maxEntries, m: make(map[string]expEntry[V])}
}

// put stores v under k until exp, then forgets what expired or overflows.
func (e *expiring[V]) put(k string, v V, exp, now time.Time) {
	e.next++
	seq := e.next
	e.m[k] = expEntry[V]{v: v, exp: exp, seq: seq}
	e.q = append(e.q, expKey{k: k, seq: seq})
	e.trim(now)
}

// get returns the live value under k.
func (e *expiring[V]) get(k string, now time.Time) (V, bool) {
	en, ok := e.m[k]
	if !ok || now.After(en.exp) {
		var zero V
		return zero, false
	}
	return en.v, true
}

func (e *expiring[V]) del(k string) { delete(e.m, k) }

func (e *expiring[V]) len() int { return len(e.m) }

// trim drops, oldest first, the entries that expired and those beyond max.
func (e *expiring[V]) trim(now time.Time) {
	for e.head < len(e.q) {
		key := e.q[e.head]
		en, live := e.m[key.k]
		current := live && en.seq == key.seq
		if current && !now.After(en.exp) && len(e.q)-e.head <= e.max && len(e.m) <= e.max {
			break
		}
		if current {
			delete(e.m, key.k)
		}
		e.q[e.head] = expKey{}
		e.head++
	}
	if e.head > 1024 && e.head > len(e.q)/2 {
		e.q = append(e.q[:0], e.q[e.head:]...)
		e.head = 0
	}
}
