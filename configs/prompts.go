package configs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Prompt names.
const (
	PromptGrounding  = "grounding"
	PromptDraftParse = "draft_parse"
)

// DraftPlaceholder is replaced by the draft text in the draft prompt.
const DraftPlaceholder = "{{draft}}"

// Prompt is a loaded prompt template and its sha256.
type Prompt struct {
	Name   string
	Text   string
	SHA256 string
	Source string
}

// LoadPrompt loads prompts/<name>.txt, or overridePath when given: the
// same text that export trains on and audit asks with.
func LoadPrompt(name, overridePath string) (Prompt, error) {
	data, src, err := ReadDefaultOr("prompts/"+name+".txt", overridePath)
	if err != nil {
		return Prompt{}, fmt.Errorf("prompt %s: %w", name, err)
	}
	return newPrompt(name, data, src)
}

func newPrompt(name string, data []byte, src string) (Prompt, error) {
	if len(data) == 0 {
		return Prompt{}, fmt.Errorf("prompt %s: %s is empty", name, src)
	}
	return Prompt{Name: name, Text: string(data), SHA256: SHA256Hex(data), Source: src}, nil
}

// SHA256Hex is the hex sha256 of data: how prompts and profiles are
// identified in results, cards and contracts.
func SHA256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
