package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/eval"
	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/sftexport"
	"github.com/cxrkit/cxrkit/synth"
	"gopkg.in/yaml.v3"
)

// Stage names, in run order.
const (
	StagePrepare = "prepare"
	StageSynth   = "synth"
	StageExport  = "export"
	StageAudit   = "audit"
	StageEval    = "eval"
)

// Stages returns every stage in run order.
func Stages() []string { return []string{StagePrepare, StageSynth, StageExport, StageAudit, StageEval} }

// Config is a pipeline config file. Paths are relative to the file.
type Config struct {
	Out    string   `yaml:"out"`
	Stages []string `yaml:"stages"`
	// Prepare is dataset.Options as the file gives them over
	// dataset.Defaults(), paths relative to the file.
	Prepare dataset.Options `yaml:"prepare"`
	// Synth and Export are the stages' options over their Defaults().
	Synth  synth.Options     `yaml:"synth"`
	Export sftexport.Options `yaml:"export"`
	Audit  AuditStage        `yaml:"audit"`
	Eval   EvalStage         `yaml:"eval"`

	dir  string
	path string
	// set holds the keys the file gives ("audit.profile"): a setting a
	// contract gives defers to it unless the file set it.
	set map[string]bool
}

// AuditStage is run's audit section: the auditor's settings, decoded
// over AuditorDefaults() (the audit flags' defaults), and the run's own.
type AuditStage struct {
	AuditorConfig `yaml:",inline"`
	// Grounding is gold (the default in a run) or model.
	Grounding Grounding `yaml:"grounding"`
	// APIKeyEnv names the environment variable holding the API key
	// (never the key itself: configs are shared).
	APIKeyEnv   string         `yaml:"api_key_env"`
	Concurrency int            `yaml:"concurrency"`
	Splits      []cxrkit.Split `yaml:"splits"`
	// Profile and Contract (in AuditorConfig): left out, the audit uses
	// the contract of this run's export stage, else export.profile: the
	// model is audited with the conventions it was trained on.

	// MaxErrorRate is the share of audited cases that may end in error
	// before the stage counts as partial and stops the run (default 0).
	MaxErrorRate float64 `yaml:"max_error_rate"`
}

// AuditStageDefaults are run's audit defaults: the audit flags', with
// gold grounding (a run needs no model unless it names one).
func AuditStageDefaults() AuditStage {
	return AuditStage{AuditorConfig: AuditorDefaults(), Grounding: GroundingGold, Concurrency: audit.BatchDefaults().Concurrency}
}

// EvalStage is run's eval section: eval.ImageOptions over
// eval.Defaults() (the eval flags' defaults), and whether to evaluate
// grounding per image too.
type EvalStage struct {
	eval.ImageOptions `yaml:",inline"`
	Images            bool `yaml:"images"`
}

// EvalStageDefaults are run's eval defaults: eval's, and image reports.
func EvalStageDefaults() EvalStage { return EvalStage{ImageOptions: eval.Defaults(), Images: true} }

// LoadConfig reads and validates a pipeline config; errors name the file
// and line.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := checkConfig(path, data); err != nil {
		return nil, err
	}
	// Settings decode over the stages' defaults (yaml.v3 leaves a key
	// that is left out as it was), so a key left out means the same
	// default the flag has.
	c := Config{Prepare: dataset.Defaults(), Synth: synth.Defaults(), Export: sftexport.Defaults(), Audit: AuditStageDefaults(), Eval: EvalStageDefaults(),
		set: keysSet(data)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: config %s: %v", cxrkit.ErrInvalidOptions, path, err)
	}
	c.path, c.dir = path, filepath.Dir(path)
	if c.Out == "" {
		return nil, fmt.Errorf("%w: config %s: out: the output folder is required", cxrkit.ErrInvalidOptions, path)
	}
	if len(c.Stages) == 0 {
		c.Stages = Stages()
	}
	for _, s := range c.Stages {
		if !slices.Contains(Stages(), s) {
			return nil, fmt.Errorf("%w: config %s: stages: unknown stage %q (want %v)", cxrkit.ErrInvalidOptions, path, s, Stages())
		}
	}
	if err := validateClosed(c); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if err := c.Eval.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: eval: %w", path, err)
	}
	if c.Audit.Concurrency < 1 {
		return nil, fmt.Errorf("%w: config %s: audit.concurrency %d: want 1 or more", cxrkit.ErrInvalidOptions, path, c.Audit.Concurrency)
	}
	if r := c.Audit.MaxErrorRate; r < 0 || r > 1 {
		return nil, fmt.Errorf("%w: config %s: audit.max_error_rate %v: want a fraction from 0 to 1", cxrkit.ErrInvalidOptions, path, r)
	}
	return &c, nil
}

// validateClosed checks the config's closed-set values (split and case
// type names), which YAML decodes without looking at them.
func validateClosed(c Config) error {
	if _, err := boxes.ParseMethod(string(c.Prepare.Merge)); err != nil {
		return fmt.Errorf("%w: prepare.merge: %v", cxrkit.ErrInvalidOptions, err)
	}
	if _, err := dataset.ParseUnmappedRule(string(c.Prepare.UnmappedOnly)); err != nil {
		return fmt.Errorf("%w: prepare.unmapped_only: %v", cxrkit.ErrInvalidOptions, err)
	}
	if _, err := sftexport.ParseFormat(string(c.Export.Format)); err != nil {
		return fmt.Errorf("export.format: %w", err)
	}
	if _, err := ParseGrounding(string(c.Audit.Grounding)); err != nil {
		return fmt.Errorf("audit.grounding %w", err)
	}
	if _, err := ParseDraftParser(string(c.Audit.DraftParser)); err != nil {
		return fmt.Errorf("audit.draft_parser %w", err)
	}
	if _, err := ParseUncertainAs(string(c.Audit.UncertainAs)); err != nil {
		return fmt.Errorf("audit.uncertain_as %w", err)
	}
	if _, err := infer.ParseBoxScale(string(c.Audit.BoxScale)); err != nil {
		return fmt.Errorf("audit.box_scale %w", err)
	}
	for _, t := range c.Synth.CaseTypes {
		if _, err := cxrkit.ParseCaseType(string(t)); err != nil {
			return fmt.Errorf("synth.cases: %w", err)
		}
	}
	for key, list := range map[string][]cxrkit.Split{"synth.splits": c.Synth.Splits, "audit.splits": c.Audit.Splits} {
		for _, s := range list {
			if _, err := cxrkit.ParseSplit(string(s)); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	return nil
}

// keysSet lists the keys a config file gives, as section.key paths
// (syntax errors are the decoder's to report).
func keysSet(data []byte) map[string]bool {
	set := map[string]bool{}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return set
	}
	top := doc.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		set[top[i].Value] = true
		if sec := top[i+1]; sec.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(sec.Content); j += 2 {
				set[top[i].Value+"."+sec.Content[j].Value] = true
			}
		}
	}
	return set
}

// rel resolves a path from the config file's folder.
func (c *Config) rel(p string) string { return cxrkit.ResolvePath(c.dir, p) }

// profileRef resolves a model profile setting: a file path (one with a
// path separator or a .yaml/.yml name) from the config file's folder, a
// profile name as it is.
func (c *Config) profileRef(v string) string {
	if isProfileFile(v) {
		return c.rel(v)
	}
	return v
}

// isProfileFile tells a profile file from a built-in profile's name, as
// configs.LoadProfile does.
func isProfileFile(v string) bool {
	return strings.ContainsAny(v, `/\`) || strings.HasSuffix(v, ".yaml") || strings.HasSuffix(v, ".yml")
}

func (c *Config) rels(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = c.rel(p)
	}
	return out
}

// Path returns the config file's path.
func (c *Config) Path() string { return c.path }

// OutDir is the output folder, resolved.
func (c *Config) OutDir() string { return c.rel(c.Out) }

func (c *Config) has(stage string) bool { return slices.Contains(c.Stages, stage) }
