package social

import "sync"

// Memo lets the listeners of one event share the work that is the same for
// all of them: a thousand streams that get the same new post load it and
// render what no viewer changes once, not a thousand times. Each event
// published gets its own Memo (see Bus.publish), so what it holds is never
// older than the event: an edit is a new event with a new Memo.
type Memo struct {
	mu   sync.Mutex
	vals map[string]*memoEntry
}

type memoEntry struct {
	once sync.Once
	val  any
}

// Do returns the value stored under key, computing it with f the first
// time; listeners asking at once wait for that one computation.
func (m *Memo) Do(key string, f func() any) any {
	if m == nil {
		return f()
	}
	m.mu.Lock()
	if m.vals == nil {
		m.vals = map[string]*memoEntry{}
	}
	e, ok := m.vals[key]
	if !ok {
		e = &memoEntry{}
		m.vals[key] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.val = f() })
	return e.val
}

// withMemos gives each status event its own Memo, shared by the listeners
// it is handed to.
func withMemos(evs []Event) []Event {
	out, copied := evs, false
	for i, ev := range evs {
		if ev.Memo == nil && (ev.Type == "update" || ev.Type == "status.update") {
			if !copied {
				out, copied = append([]Event(nil), evs...), true // the caller's slice stays as it was
			}
			out[i].Memo = &Memo{}
		}
	}
	return out
}
