package audit

import (
	"errors"
	"path/filepath"

	"github.com/cxrkit/cxrkit"
)

// caseFields are the fields of a case line an audit reads. Decoding only
// these skips the draft findings, expected audit and corrupted labels
// without building them: most of a synthetic case line, and most of the
// loading time of a gold-grounding run.
type caseFields struct {
	CaseID    string        `json:"case_id"`
	ImageID   string        `json:"image_id"`
	Source    cxrkit.Source `json:"source"`
	Split     cxrkit.Split  `json:"split"`
	DraftText string        `json:"draft_text"`
	ImagePath string        `json:"image_path"`
}

// LoadInputs reads a cases JSONL into audit inputs. A case's image is its
// image_path, else the corpus record's. Relative paths are relative to the
// folder of the file holding them, or to imageRoot when given. Each line
// needs case_id, image_id and draft_text.
func LoadInputs(casesPath string, corpus []cxrkit.Record, corpusDir, imageRoot string) ([]Input, error) {
	resolve := func(dir, p string) string {
		if imageRoot != "" {
			dir = imageRoot
		}
		return cxrkit.ResolvePath(dir, p)
	}
	paths := map[string]string{}
	byID := map[string][]string{}
	for _, r := range corpus {
		paths[r.Key()] = resolve(corpusDir, r.ImagePath)
		byID[r.ImageID] = append(byID[r.ImageID], r.Key())
	}
	var out []Input
	err := cxrkit.ReadJSONLFile(casesPath, func(line int, c *caseFields) error {
		switch {
		case c.CaseID == "":
			return errors.New("case without case_id")
		case c.ImageID == "":
			return errors.New("case without image_id")
		case c.DraftText == "":
			return errors.New("case without draft_text")
		}
		ref := cxrkit.ImageRef{Source: c.Source, ImageID: c.ImageID, Path: resolve(filepath.Dir(casesPath), c.ImagePath)}
		if ref.Path == "" {
			key := ref.Key()
			if ref.Source == "" && len(byID[c.ImageID]) == 1 {
				key = byID[c.ImageID][0]
			}
			ref.Path = paths[key]
		}
		out = append(out, Input{CaseID: c.CaseID, DraftText: c.DraftText, Image: ref, Split: c.Split})
		return nil
	})
	return out, err
}
