package infer

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// slowChatter answers once released, or fails when its context ends.
type slowChatter struct {
	release  chan struct{}
	calls    atomic.Int32
	canceled chan struct{}
}

func (s *slowChatter) Model() string { return "m" }

func (s *slowChatter) Chat(ctx context.Context, _ Request) (Response, error) {
	s.calls.Add(1)
	select {
	case <-s.release:
		return Response{Text: "answer", FinishReason: "stop"}, nil
	case <-ctx.Done():
		close(s.canceled)
		return Response{}, ctx.Err()
	}
}

// TestMemoSharedCallSurvivesOneCallerLeaving: client A disconnects while
// B waits for the same request; B still gets the answer, and the call is
// made once. When every caller has gone, the shared call is cancelled.
func TestMemoSharedCallSurvivesOneCallerLeaving(t *testing.T) {
	next := &slowChatter{release: make(chan struct{}), canceled: make(chan struct{})}
	m := NewMemo(next, 8)
	ctxA, cancelA := context.WithCancel(context.Background())
	a, b := make(chan error, 1), make(chan error, 1)
	go func() { _, err := m.Chat(ctxA, textRequest("same")); a <- err }()
	time.Sleep(50 * time.Millisecond)
	go func() {
		resp, err := m.Chat(context.Background(), textRequest("same"))
		if err == nil && resp.Text != "answer" {
			err = errors.New("wrong answer " + resp.Text)
		}
		b <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancelA()
	if err := <-a; !errors.Is(err, context.Canceled) {
		t.Fatalf("A: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	close(next.release)
	if err := <-b; err != nil {
		t.Fatalf("B after A disconnected: %v", err)
	}
	if n := next.calls.Load(); n != 1 {
		t.Fatalf("%d calls, want 1 shared", n)
	}

	// Everyone leaves: the shared call is cancelled, and a later caller
	// starts afresh.
	lone := &slowChatter{release: make(chan struct{}), canceled: make(chan struct{})}
	m = NewMemo(lone, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := m.Chat(ctx, textRequest("x")); done <- err }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	select {
	case <-lone.canceled:
	case <-time.After(2 * time.Second):
		t.Fatal("shared call not cancelled after its last caller left")
	}
	lone.canceled = make(chan struct{})
	close(lone.release)
	if resp, err := m.Chat(context.Background(), textRequest("x")); err != nil || resp.Text != "answer" {
		t.Fatalf("fresh call after cancellation: %v %v", resp, err)
	}
}
