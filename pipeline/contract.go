package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/sftexport"
)

// ErrContractMismatch reports a setting that contradicts the export
// contract a model was trained on.
var ErrContractMismatch = errors.New("contradicts the export contract")

// applyContract reads c.Contract and returns the profile it names, with
// the exported prompt copies. Settings given explicitly (a non-empty
// profile or prompt file, a non-zero image size, a forced box scale) must
// agree with the contract: a contradiction is an error, or with
// AllowMismatch a warning (and the explicit setting wins). Unset settings
// are taken from the contract.
func applyContract(c *AuditorConfig) (configs.Profile, []string, error) {
	ct, err := sftexport.ReadContract(c.Contract)
	if err != nil {
		return configs.Profile{}, nil, invalid("%v", err)
	}
	profile, err := ct.ProfileIn(c.Contract)
	if err != nil {
		return configs.Profile{}, nil, invalid("%v", err)
	}
	var mismatches []string
	if c.Profile != "" && c.Profile != ct.Profile.Name {
		mismatches = append(mismatches, fmt.Sprintf("--profile %s, but the model was trained with profile %s", c.Profile, ct.Profile.Name))
		if c.AllowMismatch {
			if profile, err = configs.LoadProfile(c.Profile); err != nil {
				return configs.Profile{}, nil, invalid("%v", err)
			}
		}
	}
	for _, p := range []struct{ task, file string }{{configs.PromptGrounding, c.PromptGrounding}, {configs.PromptDraftParse, c.PromptDraft}} {
		t, ok := ct.Tasks[p.task]
		if p.file == "" || !ok {
			continue
		}
		pr, err := configs.LoadPrompt(p.task, p.file)
		if err != nil {
			return configs.Profile{}, nil, err
		}
		if pr.SHA256 != t.PromptSHA256 {
			mismatches = append(mismatches, fmt.Sprintf("%s prompt %s has sha256 %s, but the model was trained on %s (sha256 %s)",
				p.task, p.file, short(pr.SHA256), t.PromptFile, short(t.PromptSHA256)))
		}
	}
	switch {
	case c.MaxSide == 0 && ct.Images.MaxSide > 0:
		c.MaxSide = ct.Images.MaxSide
	case c.MaxSide > 0 && ct.Images.MaxSide > 0 && c.MaxSide != ct.Images.MaxSide:
		mismatches = append(mismatches, fmt.Sprintf("--image-max-side %d, but training images were fitted to %d", c.MaxSide, ct.Images.MaxSide))
	}
	if scale, err := infer.ParseBoxScale(string(c.BoxScale)); err == nil && scale != infer.ScaleAuto && string(scale) != string(ct.Box.Scale) {
		mismatches = append(mismatches, fmt.Sprintf("--box-scale %s, but the targets were written on scale %s", scale, ct.Box.Scale))
	}
	if len(mismatches) == 0 {
		return profile, nil, nil
	}
	if !c.AllowMismatch {
		return configs.Profile{}, nil, fmt.Errorf("%w: %w (%s): %s; drop the flag or pass --allow-mismatch",
			cxrkit.ErrInvalidOptions, ErrContractMismatch, c.Contract, strings.Join(mismatches, "; "))
	}
	warnings := make([]string, len(mismatches))
	for i, m := range mismatches {
		warnings[i] = "contract " + c.Contract + ": " + m + " (allowed by --allow-mismatch)"
	}
	return profile, warnings, nil
}

func short(sha string) string { return sha[:min(len(sha), 12)] }
