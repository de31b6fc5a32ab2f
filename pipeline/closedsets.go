package pipeline

import (
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit"
)

// closedSetError is a value outside one of the closed sets below. It
// names the value and the valid ones; the caller prefixes the flag or
// key ("--grounding", "audit.grounding"). It is a cxrkit.ErrInvalidOptions.
type closedSetError struct {
	value string
	valid []string
}

func (e closedSetError) Error() string {
	return fmt.Sprintf("%q: want %s", e.value, strings.Join(e.valid, " or "))
}

func (e closedSetError) Is(target error) bool { return target == cxrkit.ErrInvalidOptions }

// Grounding is where an audit's image findings come from.
type Grounding string

// The groundings.
const (
	// GroundingModel asks the grounding model at the endpoint.
	GroundingModel Grounding = "model"
	// GroundingGold uses the corpus findings: no model, no GPU.
	GroundingGold Grounding = "gold"
)

// ParseGrounding reads --grounding and audit.grounding.
func ParseGrounding(s string) (Grounding, error) {
	switch g := Grounding(s); g {
	case GroundingModel, GroundingGold:
		return g, nil
	}
	return "", closedSetError{s, []string{string(GroundingModel), string(GroundingGold)}}
}

// DraftParser is how draft text becomes draft findings.
type DraftParser string

// The draft parsers.
const (
	// DraftParserRules is the deterministic rules parser (no model).
	DraftParserRules DraftParser = "rules"
	// DraftParserLLM asks a draft model, falling back to the rules.
	DraftParserLLM DraftParser = "llm"
)

// ParseDraftParser reads --draft-parser and draft_parser; "" is rules.
func ParseDraftParser(s string) (DraftParser, error) {
	switch p := DraftParser(s); p {
	case "":
		return DraftParserRules, nil
	case DraftParserRules, DraftParserLLM:
		return p, nil
	}
	return "", closedSetError{s, []string{string(DraftParserRules), string(DraftParserLLM)}}
}

// BatchImages is how a batch file (vllm run-batch) carries images.
type BatchImages string

// The ways images travel in a batch file.
const (
	// BatchImagesBase64 puts each image in the file as a data URL.
	BatchImagesBase64 BatchImages = "base64"
	// BatchImagesFile writes each image as a PNG beside the batch file
	// and puts its file:// URL in the file.
	BatchImagesFile BatchImages = "file"
)

// ParseBatchImages reads --batch-images; "" is base64.
func ParseBatchImages(s string) (BatchImages, error) {
	switch b := BatchImages(s); b {
	case "":
		return BatchImagesBase64, nil
	case BatchImagesBase64, BatchImagesFile:
		return b, nil
	}
	return "", closedSetError{s, []string{string(BatchImagesBase64), string(BatchImagesFile)}}
}

// UncertainAs is how hedged draft statements ("possible effusion") are
// scored.
type UncertainAs string

// The ways of scoring a hedge.
const (
	UncertainPresent UncertainAs = "present"
	UncertainAbsent  UncertainAs = "absent"
)

// ParseUncertainAs reads --uncertain-as and uncertain_as; "" is present.
func ParseUncertainAs(s string) (UncertainAs, error) {
	switch u := UncertainAs(s); u {
	case "":
		return UncertainPresent, nil
	case UncertainPresent, UncertainAbsent:
		return u, nil
	}
	return "", closedSetError{s, []string{string(UncertainPresent), string(UncertainAbsent)}}
}
