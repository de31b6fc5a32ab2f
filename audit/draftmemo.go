package audit

import (
	"context"
	"slices"
	"sync"

	"github.com/cxrkit/cxrkit"
)

// DraftMemo remembers the readings of a deterministic DraftReader (the
// rules parser) by draft text. Synthetic case files repeat drafts: the
// 56,352 cases of full VinDr have 19,452 distinct ones, so most cases of
// a gold-grounding run are read once and looked up after. Failed readings
// and texts over maxMemoText bytes are not remembered, and at most size
// texts are kept (then it stops adding rather than evicting, which keeps
// lookups cheap), so a long-running server's memory stays bounded.
type DraftMemo struct {
	next DraftReader
	size int
	mu   sync.RWMutex
	seen map[string]cxrkit.DraftReading
}

// maxMemoText is the longest draft remembered; synthetic drafts are a few
// hundred bytes.
const maxMemoText = 2048

// NewDraftMemo remembers up to size readings of next, which must answer
// the same text the same way every time.
func NewDraftMemo(next DraftReader, size int) *DraftMemo {
	return &DraftMemo{next: next, size: max(size, 0), seen: map[string]cxrkit.DraftReading{}}
}

// ReadDraft answers from memory or reads. Each answer has its own copy
// of the findings, so a caller may change them.
func (m *DraftMemo) ReadDraft(ctx context.Context, text string) (cxrkit.DraftReading, error) {
	m.mu.RLock()
	r, ok := m.seen[text]
	m.mu.RUnlock()
	if ok {
		return copyReading(r), nil
	}
	r, err := m.next.ReadDraft(ctx, text)
	if err != nil || r.Status == cxrkit.ParseFailed {
		return r, err
	}
	m.mu.Lock()
	if len(m.seen) < m.size && len(text) <= maxMemoText {
		m.seen[text] = copyReading(r)
	}
	m.mu.Unlock()
	return r, nil
}

func copyReading(r cxrkit.DraftReading) cxrkit.DraftReading {
	r.Findings = slices.Clone(r.Findings)
	r.Notes = slices.Clone(r.Notes)
	return r
}
