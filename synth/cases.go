package synth

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// Skip reasons for case types a record cannot support.
const (
	skipNoPositive = "image has no positive finding"
	skipAllPresent = "image has every positive finding"
)

// caseRNG is the randomness of one case: it depends only on the seed, the
// record's source and image id and the case type, so adding or removing
// other records or case types never changes a case.
func caseRNG(seed int64, source cxrkit.Source, imageID string, caseType cxrkit.CaseType) *rand.Rand {
	h := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s\x00%s\x00%s", seed, source, imageID, caseType)))
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(h[:8]), binary.BigEndian.Uint64(h[8:16])))
}

// makeCase builds one case of the given type, or returns a skip reason.
func (g *Generator) makeCase(rec *cxrkit.Record, caseType cxrkit.CaseType) (*cxrkit.Case, string) {
	rng := caseRNG(g.seed, rec.Source, rec.ImageID, caseType)
	present := cxrkit.PositiveLabels(rec.Findings)
	var absent []labelmap.Label
	for _, l := range labelmap.Positives() {
		if !slices.Contains(present, l) {
			absent = append(absent, l)
		}
	}
	needPresent := caseType == cxrkit.CaseMissing || caseType == cxrkit.CaseDenied || caseType == cxrkit.CaseMixed
	needAbsent := caseType == cxrkit.CaseUnsupported || caseType == cxrkit.CaseNegatedFaithful || caseType == cxrkit.CaseMixed
	switch {
	case needPresent && len(present) == 0:
		return nil, skipNoPositive
	case needAbsent && len(absent) == 0:
		return nil, skipAllPresent
	}
	pick := func(ls []labelmap.Label) labelmap.Label { return ls[rng.IntN(len(ls))] }
	var dropped, added, denied labelmap.Label
	var negate []labelmap.Label
	switch caseType {
	case cxrkit.CaseMissing:
		dropped = pick(present)
	case cxrkit.CaseUnsupported:
		added = pick(absent)
	case cxrkit.CaseDenied:
		denied = pick(present)
	case cxrkit.CaseNegatedFaithful:
		negate = slices.Clone(absent)
		rng.Shuffle(len(negate), func(i, j int) { negate[i], negate[j] = negate[j], negate[i] })
		negate = negate[:1+rng.IntN(len(negate))]
	case cxrkit.CaseMixed:
		dropped, added = pick(present), pick(absent)
	}

	var positives []statement
	for _, l := range present {
		if l == dropped || l == denied {
			continue
		}
		positives = append(positives, g.bank.presentStatement(l, g.bank.locate(l, rec.Findings), rng))
	}
	if added != "" {
		positives = append(positives, g.bank.presentStatement(added, g.bank.invented(added, rng), rng))
	}
	rng.Shuffle(len(positives), func(i, j int) { positives[i], positives[j] = positives[j], positives[i] })
	var negatives []statement
	if denied != "" {
		negatives = append(negatives, g.bank.absentStatements([]labelmap.Label{denied}, rng)...)
	}
	negatives = append(negatives, g.bank.absentStatements(negate, rng)...)
	var sts []statement
	// A draft reporting no positive opens with a normal-study line, always
	// when it has nothing else to say, sometimes beside its negations.
	if len(positives) == 0 && (len(negatives) == 0 || caseType == cxrkit.CaseNegatedFaithful || rng.IntN(2) == 0) {
		sts = append(sts, g.bank.normalStatement(rng))
	}
	if rng.IntN(10) < 7 {
		sts = append(append(sts, positives...), negatives...)
	} else {
		sts = append(append(sts, negatives...), positives...)
	}
	text, drafts := render(sts, rng)
	corrupted := cxrkit.Labels{}
	for _, l := range []labelmap.Label{dropped, denied, added} {
		if l != "" {
			corrupted = append(corrupted, l)
		}
	}
	slices.SortFunc(corrupted, func(a, b labelmap.Label) int { return a.Index() - b.Index() })
	expected := audit.Compare(rec.Findings, drafts, audit.CompareOptions{Urgent: g.urgent})
	return &cxrkit.Case{
		CaseID: string(rec.Source) + ":" + rec.ImageID + ":" + string(caseType), ImageID: rec.ImageID, Source: rec.Source,
		Split: rec.Split, CaseType: caseType, DraftText: text, DraftFindings: drafts,
		ExpectedAudit: &expected, CorruptedLabels: corrupted, ImagePath: rec.ImagePath,
	}, ""
}
