package cxrkit

import (
	"fmt"
	"slices"
	"strings"
)

// The closed sets below are the words records, cases and results use for
// how a side was parsed, which split an image is in, which public dataset
// it came from and which corruption a case applies. Each is a string type
// so JSON stays as it was, with its constants, the list of valid values in
// output order, and a parser whose error names every valid value.

// ParseStatus says how one side of a result was obtained.
type ParseStatus string

// Parse statuses. OK, Salvaged and Failed describe a model's answer; Gold
// (grounding from the corpus) and Rules (the rules draft parser) name the
// sides no model answered; None, a draft that was not given.
const (
	ParseOK       ParseStatus = "ok"
	ParseSalvaged ParseStatus = "salvaged"
	ParseFailed   ParseStatus = "failed"
	ParseGold     ParseStatus = "gold"
	ParseRules    ParseStatus = "rules"
	// ParseNone is the draft side of an image-only reading: no draft was
	// given, so nothing was parsed or compared.
	ParseNone ParseStatus = "none"
)

// ParseStatuses returns every parse status.
func ParseStatuses() []ParseStatus {
	return []ParseStatus{ParseOK, ParseSalvaged, ParseFailed, ParseGold, ParseRules, ParseNone}
}

// Valid reports whether s is a known parse status.
func (s ParseStatus) Valid() bool { return slices.Contains(ParseStatuses(), s) }

// ParseParseStatus validates a parse status.
func ParseParseStatus(s string) (ParseStatus, error) {
	return parseClosed("parse status", s, ParseStatuses())
}

// Split is the corpus split of an image.
type Split string

// Splits, in the order reports and shards list them.
const (
	SplitTrain      Split = "train"
	SplitValidation Split = "validation"
	SplitTest       Split = "test"
)

// Splits returns every split in order.
func Splits() []Split { return []Split{SplitTrain, SplitValidation, SplitTest} }

// Valid reports whether s is a known split.
func (s Split) Valid() bool { return slices.Contains(Splits(), s) }

// ParseSplit validates a split name.
func ParseSplit(s string) (Split, error) { return parseClosed("split", s, Splits()) }

// ParseSplits validates a list of split names, keeping their order.
func ParseSplits(list []string) ([]Split, error) { return parseClosedList("split", list, Splits()) }

// Source is the public dataset a corpus image comes from.
type Source string

// Sources, as written in corpus records. VinDr-CXR-VQA rows join VinDr
// images, so they have no source of their own.
const (
	SourceVinDr     Source = "vindr"
	SourceNIH       Source = "nih"
	SourceChestXDet Source = "chestxdet"
)

// Sources returns every source.
func Sources() []Source { return []Source{SourceVinDr, SourceNIH, SourceChestXDet} }

// Valid reports whether s is a known source.
func (s Source) Valid() bool { return slices.Contains(Sources(), s) }

// ParseSource validates a source name.
func ParseSource(s string) (Source, error) { return parseClosed("source", s, Sources()) }

// CaseType is the corruption a synthetic case applies to a faithful draft.
type CaseType string

// Case types, in the order cases are written and reports list them.
const (
	CaseFaithful        CaseType = "faithful"
	CaseMissing         CaseType = "missing"
	CaseUnsupported     CaseType = "unsupported"
	CaseDenied          CaseType = "denied"
	CaseNegatedFaithful CaseType = "negated_faithful"
	CaseMixed           CaseType = "mixed"
)

// CaseTypes returns every case type in output order.
func CaseTypes() []CaseType {
	return []CaseType{CaseFaithful, CaseMissing, CaseUnsupported, CaseDenied, CaseNegatedFaithful, CaseMixed}
}

// Valid reports whether t is a known case type.
func (t CaseType) Valid() bool { return slices.Contains(CaseTypes(), t) }

// ParseCaseType validates a case type.
func ParseCaseType(s string) (CaseType, error) { return parseClosed("case type", s, CaseTypes()) }

// ParseCaseTypes validates a list of case types and returns them in output
// order, each once.
func ParseCaseTypes(list []string) ([]CaseType, error) {
	got, err := parseClosedList("case type", list, CaseTypes())
	if err != nil {
		return nil, err
	}
	var out []CaseType
	for _, t := range CaseTypes() {
		if slices.Contains(got, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// parseClosed returns s as a member of valid, or an ErrInvalidOptions
// error that lists the valid values.
func parseClosed[T ~string](what, s string, valid []T) (T, error) {
	t := T(strings.TrimSpace(s))
	if slices.Contains(valid, t) {
		return t, nil
	}
	names := make([]string, len(valid))
	for i, v := range valid {
		names[i] = string(v)
	}
	return "", fmt.Errorf("%w: unknown %s %q (want %s)", ErrInvalidOptions, what, string(t), strings.Join(names, ", "))
}

func parseClosedList[T ~string](what string, list []string, valid []T) ([]T, error) {
	out := make([]T, 0, len(list))
	for _, s := range list {
		t, err := parseClosed(what, s, valid)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
