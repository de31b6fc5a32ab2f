package configs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Profile names shipped with cxrkit.
const (
	ProfileCxrkit         = "cxrkit"
	ProfileMedGemmaNative = "medgemma-native"
)

// ProfileNames returns the embedded profiles' names.
func ProfileNames() []string { return []string{ProfileCxrkit, ProfileMedGemmaNative} }

// BoxScale is how a profile's model writes box coordinates: a closed set,
// checked when the profile loads.
type BoxScale string

// Box scales a profile may name.
const (
	BoxScaleUnit BoxScale = "unit"
	BoxScale1000 BoxScale = "1000"
)

// BoxOrder is the order of a box's four coordinates in a profile's
// answers: a closed set, checked when the profile loads.
type BoxOrder string

// Box orders a profile may name.
const (
	BoxOrderYX BoxOrder = "y0x0y1x1"
	BoxOrderXY BoxOrder = "x0y0x1y1"
)

// ErrProfile reports an unknown or malformed model profile.
var ErrProfile = errors.New("model profile")

// ThinkMarker opens and closes a reasoning block that is removed from an
// answer before it is read.
type ThinkMarker struct {
	Open  string `yaml:"open" json:"open"`
	Close string `yaml:"close" json:"close"`
}

// Sampling is the sampling a profile asks with. Zero TopK and
// RepetitionPenalty are not sent.
type Sampling struct {
	Temperature       float32 `yaml:"temperature" json:"temperature"`
	TopP              float32 `yaml:"top_p" json:"top_p,omitempty"`
	TopK              int     `yaml:"top_k" json:"top_k,omitempty"`
	RepetitionPenalty float64 `yaml:"repetition_penalty" json:"repetition_penalty,omitempty"`
}

// DraftProfile is how the draft-parsing model is asked.
type DraftProfile struct {
	// SystemPrompt is a system message ("" for none).
	SystemPrompt string `yaml:"system_prompt" json:"system_prompt,omitempty"`
	// Switch is appended to the user prompt on its own line, for models
	// that toggle reasoning with a token such as /no_think.
	Switch string `yaml:"switch" json:"switch,omitempty"`
}

// Profile is a model's conventions: how it is asked (prompt, image
// padding, sampling) and how its answer is written (box scale and order,
// fencing, reasoning markers). The same profile drives export (what a model
// is trained on) and audit (what it is asked), so the two cannot drift.
type Profile struct {
	Name         string            `yaml:"name" json:"name"`
	Description  string            `yaml:"description" json:"description,omitempty"`
	Prompts      map[string]string `yaml:"prompts" json:"prompts"`
	BoxScale     BoxScale          `yaml:"box_scale" json:"box_scale"`
	BoxOrder     BoxOrder          `yaml:"box_order" json:"box_order"`
	PadToSquare  bool              `yaml:"pad_to_square" json:"pad_to_square"`
	AnswerFence  bool              `yaml:"answer_fence" json:"answer_fence"`
	ThinkMarkers []ThinkMarker     `yaml:"think_markers" json:"think_markers"`
	Sampling     Sampling          `yaml:"sampling" json:"sampling"`
	Draft        DraftProfile      `yaml:"draft" json:"draft"`

	// Source is where the profile was read ("configs/profiles/x.yaml" or
	// a file path); SHA256 is the hash of its bytes.
	Source string `yaml:"-" json:"-"`
	SHA256 string `yaml:"-" json:"-"`
	// dir resolves relative prompt paths of a profile file ("" for an
	// embedded one: paths are embedded names).
	dir      string
	embedded bool
}

// BoxScaleMax is the largest coordinate of the profile's box scale.
func (p *Profile) BoxScaleMax() float64 {
	if p.BoxScale == BoxScale1000 {
		return 1000
	}
	return 1
}

// LoadProfile loads an embedded profile by name, or a profile file when
// nameOrPath is not an embedded name.
func LoadProfile(nameOrPath string) (Profile, error) {
	if nameOrPath == "" {
		nameOrPath = ProfileCxrkit
	}
	var (
		data []byte
		src  string
		err  error
		p    Profile
	)
	if slices.Contains(ProfileNames(), nameOrPath) {
		src = "configs/profiles/" + nameOrPath + ".yaml"
		data, err = files.ReadFile("profiles/" + nameOrPath + ".yaml")
		p.embedded = true
	} else {
		if !strings.ContainsAny(nameOrPath, `/\`) && !strings.HasSuffix(nameOrPath, ".yaml") && !strings.HasSuffix(nameOrPath, ".yml") {
			return Profile{}, fmt.Errorf("%w %q: not a profile name (%s) nor a .yaml file", ErrProfile, nameOrPath, strings.Join(ProfileNames(), ", "))
		}
		src = nameOrPath
		data, err = os.ReadFile(nameOrPath)
		p.dir = filepath.Dir(nameOrPath)
	}
	if err != nil {
		return Profile{}, fmt.Errorf("%w %s: %w", ErrProfile, src, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("%w %s: %w", ErrProfile, src, err)
	}
	p.Source = src
	p.SHA256 = SHA256Hex(data)
	if err := p.validate(); err != nil {
		return Profile{}, fmt.Errorf("%w %s: %w", ErrProfile, src, err)
	}
	return p, nil
}

func (p *Profile) validate() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("no name"))
	}
	if p.BoxScale != BoxScaleUnit && p.BoxScale != BoxScale1000 {
		errs = append(errs, fmt.Errorf("box_scale %q: want %s or %s", p.BoxScale, BoxScaleUnit, BoxScale1000))
	}
	if p.BoxOrder != BoxOrderYX && p.BoxOrder != BoxOrderXY {
		errs = append(errs, fmt.Errorf("box_order %q: want %s or %s", p.BoxOrder, BoxOrderYX, BoxOrderXY))
	}
	for _, task := range []string{PromptGrounding, PromptDraftParse} {
		if p.Prompts[task] == "" {
			errs = append(errs, fmt.Errorf("prompts: no %s prompt", task))
		}
	}
	for _, m := range p.ThinkMarkers {
		if m.Open == "" || m.Close == "" {
			errs = append(errs, errors.New("think_markers: each marker needs open and close"))
		}
	}
	if p.Sampling.Temperature < 0 || p.Sampling.TopP < 0 || p.Sampling.TopP > 1 || p.Sampling.TopK < 0 {
		errs = append(errs, fmt.Errorf("sampling %+v: out of range", p.Sampling))
	}
	return errors.Join(errs...)
}

// LoadPrompt loads the profile's prompt for task, or overridePath when
// given.
func (p *Profile) LoadPrompt(task, overridePath string) (Prompt, error) {
	if overridePath != "" {
		return LoadPrompt(task, overridePath)
	}
	rel := p.Prompts[task]
	if rel == "" {
		return Prompt{}, fmt.Errorf("%w %s: no %s prompt", ErrProfile, p.Source, task)
	}
	var (
		data []byte
		src  string
		err  error
	)
	switch {
	case p.embedded:
		src = "configs/" + path.Clean(rel)
		data, err = files.ReadFile(path.Clean(rel))
	case filepath.IsAbs(rel):
		src = rel
		data, err = os.ReadFile(rel)
	default:
		src = filepath.Join(p.dir, rel)
		data, err = os.ReadFile(src)
	}
	if err != nil {
		return Prompt{}, fmt.Errorf("prompt %s (profile %s): %w", task, p.Name, err)
	}
	return newPrompt(task, data, src)
}

// StripThinking removes the profile's reasoning blocks from an answer.
func (p *Profile) StripThinking(s string) string { return StripMarkers(s, p.ThinkMarkers) }

// StripMarkers removes reasoning blocks: closed blocks, everything before a
// stray closing marker (a template that opened the block in the prompt),
// and the opening marker of an unclosed block (the answer may follow it).
func StripMarkers(s string, markers []ThinkMarker) string {
	for _, m := range markers {
		for {
			i := strings.Index(s, m.Open)
			if i < 0 {
				break
			}
			j := strings.Index(s[i+len(m.Open):], m.Close)
			if j < 0 {
				s = s[:i] + s[i+len(m.Open):]
				break
			}
			s = s[:i] + s[i+len(m.Open)+j+len(m.Close):]
		}
		if i := strings.LastIndex(s, m.Close); i >= 0 {
			s = s[i+len(m.Close):]
		}
	}
	return s
}

// WithPromptDir returns the profile with its relative prompt paths read
// from files in dir (an export's copies) instead of the embedded set.
func (p Profile) WithPromptDir(dir string) Profile {
	p.dir, p.embedded = dir, false
	return p
}
