package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// TestArchiveCache: cached reads give the member's bytes from many
// goroutines at once; a rewritten archive is reopened, not read through a
// stale directory; more archives than the cache holds still read (the
// oldest is closed once idle); a closed cache refuses.
func TestArchiveCache(t *testing.T) {
	first, second := greyPNG(t, 6, 6, 1), greyPNG(t, 7, 7, 2)
	var archives []string
	for i := range 3 {
		archives = append(archives, writeZip(t, []zipEntry{{name: "images/a.png", data: first}, {name: fmt.Sprintf("images/%d.png", i), data: second}}))
	}
	o := Defaults()
	o.Archives = NewArchiveCache(2)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 8 {
				i := (g + k) % len(archives)
				data, err := o.ReadFile(MemberPath(archives[i], "images/a.png"))
				if err == nil && !bytes.Equal(data, first) {
					err = errors.New("wrong bytes")
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(o.Archives.open); n > 2 {
		t.Errorf("%d archives open, cache holds 2", n)
	}
	// Rewrite archive 0 with other bytes under the same member name.
	time.Sleep(10 * time.Millisecond)
	rewritten := writeZip(t, []zipEntry{{name: "images/a.png", data: second}})
	data, _ := os.ReadFile(rewritten)
	if err := os.WriteFile(archives[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := o.ReadFile(MemberPath(archives[0], "images/a.png")); err != nil || !bytes.Equal(got, second) {
		t.Fatalf("after rewrite: %v, equal to the new member: %v", err, bytes.Equal(got, second))
	}
	if s, err := o.Probe(MemberPath(archives[1], "images/1.png")); err != nil || s != (Size{7, 7}) {
		t.Fatalf("Probe through the cache = %v, %v", s, err)
	}
	o.Archives.Close()
	if _, err := o.ReadFile(MemberPath(archives[1], "images/a.png")); !errors.Is(err, ErrCacheClosed) {
		t.Fatalf("closed cache: err = %v, want ErrCacheClosed", err)
	}
}
