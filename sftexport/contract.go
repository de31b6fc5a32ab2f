package sftexport

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/configs"
)

// ContractFile is the contract's file name in an export folder.
const ContractFile = "contract.json"

// ContractVersion is the version of the contract's layout.
const ContractVersion = 1

// Target formats a contract names.
const (
	TargetJSONArray      = "json_array"
	TargetFencedJSONList = "fenced_json_array"
)

// Contract is the machine-readable record of how an export's rows were
// made: the profile, the prompt per task (copied beside it, with its
// sha256), the target and box format, and the image preprocessing. It is
// written as contract.json and as the cxrkit_contract block of the dataset
// card; `audit --contract DIR` and `serve --contract DIR` ask a model the
// way it was trained from it.
type Contract struct {
	Version       int                     `json:"cxrkit_contract"`
	CxrkitVersion string                  `json:"cxrkit_version"`
	Profile       configs.Profile         `json:"profile"`
	ProfileSHA256 string                  `json:"profile_sha256"`
	Format        Format                  `json:"format"`
	Tasks         map[string]ContractTask `json:"tasks"`
	Box           ContractBox             `json:"box"`
	Images        ContractImages          `json:"images"`
	Disclaimer    string                  `json:"disclaimer"`
}

// ContractTask is one task's prompt and target.
type ContractTask struct {
	// PromptFile is the prompt's copy, relative to the export folder.
	PromptFile   string `json:"prompt_file"`
	PromptSHA256 string `json:"prompt_sha256"`
	// PromptSource is where the prompt was read at export time.
	PromptSource string         `json:"prompt_source"`
	TargetFormat string         `json:"target_format"`
	TargetSchema map[string]any `json:"target_schema,omitempty"`
}

// ContractBox is the box convention of the targets.
type ContractBox struct {
	Field    string           `json:"field"`
	Order    configs.BoxOrder `json:"order"`
	Scale    configs.BoxScale `json:"scale"`
	Decimals int              `json:"decimals"`
}

// ContractImages is how the training images were prepared.
type ContractImages struct {
	// MaxSide is the long side images were fitted to (0: kept).
	MaxSide     int    `json:"max_side"`
	PadToSquare bool   `json:"pad_to_square"`
	Encoding    string `json:"encoding"`
	// BitDepth is 8, or "as stored" (0) with --keep-16bit.
	BitDepth int `json:"bit_depth"`
	// Mode is the PIL mode images decode to.
	Mode string `json:"mode"`
}

// ErrContract reports a missing or unreadable contract.
var ErrContract = errors.New("export contract")

// ReadContract reads DIR/contract.json.
func ReadContract(dir string) (*Contract, error) {
	path := filepath.Join(dir, ContractFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrContract, err)
	}
	var c Contract
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrContract, path, err)
	}
	if c.Version != ContractVersion {
		return nil, fmt.Errorf("%w %s: version %d, this cxrkit reads %d", ErrContract, path, c.Version, ContractVersion)
	}
	if c.Profile.Name == "" || len(c.Tasks) == 0 {
		return nil, fmt.Errorf("%w %s: no profile or no tasks", ErrContract, path)
	}
	return &c, nil
}

// ProfileIn is the contract's profile with its prompts read from the
// copies in dir, each checked against the recorded sha256.
func (c *Contract) ProfileIn(dir string) (configs.Profile, error) {
	p := c.Profile
	prompts := map[string]string{}
	for task, t := range c.Tasks {
		data, err := os.ReadFile(filepath.Join(dir, t.PromptFile))
		if err != nil {
			return p, fmt.Errorf("%w: %w", ErrContract, err)
		}
		if got := configs.SHA256Hex(data); got != t.PromptSHA256 {
			return p, fmt.Errorf("%w: %s has sha256 %s, the contract says %s (edited after export?)", ErrContract, t.PromptFile, got, t.PromptSHA256)
		}
		prompts[task] = t.PromptFile
	}
	for task := range p.Prompts {
		if _, ok := prompts[task]; !ok {
			// A task not exported: its prompt was copied beside the others.
			prompts[task] = filepath.ToSlash(filepath.Join("prompts", task+".txt"))
		}
	}
	p.Prompts = prompts
	return p.WithPromptDir(dir), nil
}

// writeContract writes the prompt copies and contract.json.
func writeContract(dir string, c *Contract, prompts map[string]configs.Prompt) error {
	for task, pr := range prompts {
		rel := filepath.ToSlash(filepath.Join("prompts", task+".txt"))
		if err := os.MkdirAll(filepath.Join(dir, "prompts"), 0o755); err != nil {
			return err
		}
		err := cxrkit.WriteFileAtomic(filepath.Join(dir, rel), func(w *bufio.Writer) error {
			_, err := w.WriteString(pr.Text)
			return err
		})
		if err != nil {
			return err
		}
		if t, ok := c.Tasks[task]; ok {
			t.PromptFile, t.PromptSHA256, t.PromptSource = rel, pr.SHA256, pr.Source
			c.Tasks[task] = t
		}
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return cxrkit.WriteFileAtomic(filepath.Join(dir, ContractFile), func(w *bufio.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}
