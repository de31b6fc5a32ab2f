package infer

import (
	"context"
	"sync"
)

// Memo wraps a Chatter so that identical requests are asked once: a
// request already in flight is waited for, and the last size answers are
// remembered. Synthetic cases audit each image several times with the same
// deterministic request; errors are never remembered.
type Memo struct {
	next    Chatter
	size    int
	mu      sync.Mutex
	calls   map[string]*memoCall
	answers map[string]Response
	order   []string
}

type memoCall struct {
	done chan struct{}
	resp Response
	err  error
}

// NewMemo remembers up to size answers of next.
func NewMemo(next Chatter, size int) *Memo {
	return &Memo{next: next, size: max(size, 1), calls: map[string]*memoCall{}, answers: map[string]Response{}}
}

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
	if c, ok := m.calls[key]; ok {
		m.mu.Unlock()
		select {
		case <-c.done:
			return c.resp, c.err
		case <-ctx.Done():
			return Response{}, ctx.Err()
		}
	}
	c := &memoCall{done: make(chan struct{})}
	m.calls[key] = c
	m.mu.Unlock()

	c.resp, c.err = m.next.Chat(ctx, r)
	m.mu.Lock()
	delete(m.calls, key)
	if c.err == nil {
		m.answers[key] = c.resp
		m.order = append(m.order, key)
		if len(m.order) > m.size {
			delete(m.answers, m.order[0])
			m.order = m.order[1:]
		}
	}
	m.mu.Unlock()
	close(c.done)
	return c.resp, c.err
}
