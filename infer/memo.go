package infer

import (
	"context"
	"sync"

	"golang.org/x/sync/singleflight"
)

// Memo wraps a Chatter so that identical requests are asked once: a
// request already in flight is joined, and the last size answers are
// remembered. Synthetic cases audit each image several times with the same
// deterministic request; errors are never remembered.
//
// A shared request runs under its own context, cancelled only when every
// caller waiting for it has gone: one client disconnecting does not fail
// another that asked the same thing.
type Memo struct {
	next    Chatter
	size    int
	group   singleflight.Group
	mu      sync.Mutex
	flights map[string]*flight
	answers map[string]Response
	order   []string
}

// flight is the context of one shared request and the callers waiting.
type flight struct {
	ctx     context.Context
	cancel  context.CancelFunc
	waiters int
}

// NewMemo remembers up to size answers of next.
func NewMemo(next Chatter, size int) *Memo {
	return &Memo{next: next, size: max(size, 1), flights: map[string]*flight{}, answers: map[string]Response{}}
}

// Forget passes on to the wrapped Chatter. The in-run memory keeps the
// answer: within one run the same deterministic request gets the same
// answer, and asking again for every case of an image would only repeat
// it; the next run asks afresh.
func (m *Memo) Forget(r Request) { forget(m.next, r) }

// Model is the wrapped model's name.
func (m *Memo) Model() string { return m.next.Model() }

// Chat answers from memory, joins an identical request in flight, or asks.
func (m *Memo) Chat(ctx context.Context, r Request) (Response, error) {
	key := RequestKey(m.next.Model(), r, nil)
	m.mu.Lock()
	if resp, ok := m.answers[key]; ok {
		m.mu.Unlock()
		resp.Cached = true
		return resp, nil
	}
	f := m.flights[key]
	if f == nil {
		// The shared call keeps the first caller's values but not its
		// cancellation or deadline; attempts have their own timeouts.
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{ctx: fctx, cancel: cancel}
		m.flights[key] = f
	}
	f.waiters++
	m.mu.Unlock()

	ch := m.group.DoChan(key, func() (any, error) {
		resp, err := m.next.Chat(f.ctx, r)
		if err == nil {
			m.remember(key, resp)
		}
		return resp, err
	})
	select {
	case res := <-ch:
		m.leave(key, f)
		if res.Err != nil {
			return Response{}, res.Err
		}
		return res.Val.(Response), nil
	case <-ctx.Done():
		m.leave(key, f)
		return Response{}, ctx.Err()
	}
}

// leave drops a waiter; the last one out cancels the shared call and
// makes the next identical request start afresh.
func (m *Memo) leave(key string, f *flight) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f.waiters--
	if f.waiters > 0 {
		return
	}
	f.cancel()
	if m.flights[key] == f {
		delete(m.flights, key)
		m.group.Forget(key)
	}
}

func (m *Memo) remember(key string, resp Response) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.answers[key]; ok {
		return
	}
	m.answers[key] = resp
	m.order = append(m.order, key)
	if len(m.order) > m.size {
		delete(m.answers, m.order[0])
		m.order = m.order[1:]
	}
}
