package sftexport

import (
	"bufio"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// licences of the sources a corpus may hold.
func licence(source string) string {
	switch source {
	case "nih":
		return "NIH ChestX-ray14: public, citation requested (Wang et al., CVPR 2017)"
	case "chestxdet":
		return "ChestX-Det: Apache-2.0 (Lian et al., IEEE TMI 2021); images from NIH ChestX-ray14"
	case "vindr":
		return "VinDr-CXR: PhysioNet credentialed access / VinDr data use agreement, non-commercial research only (Nguyen et al., Sci Data 2022)"
	}
	return source + ": see its own licence"
}

// writeCard writes DIR/README.md: YAML front matter with configs, data
// files and features, then counts, sources, licences, prompt hashes and
// how to load the data.
func writeCard(dir string, s *Summary) error {
	var b strings.Builder
	b.WriteString("---\nlicense: other\nlicense_name: mixed-source-licences\npretty_name: cxrkit chest X-ray draft auditor SFT data\n")
	b.WriteString("tags:\n- medical\n- chest-x-ray\n- research-only\n- not-for-clinical-use\ntask_categories:\n- image-text-to-text\n")
	tasks := slices.Sorted(maps.Keys(s.Rows))
	b.WriteString("configs:\n")
	for _, t := range tasks {
		fmt.Fprintf(&b, "- config_name: %s\n  data_files:\n", t)
		for _, split := range sortedSplits(s.Rows[t]) {
			fmt.Fprintf(&b, "  - split: %s\n    path: %s/%s-*.parquet\n", split, t, split)
		}
	}
	b.WriteString("dataset_info:\n")
	for _, t := range tasks {
		fmt.Fprintf(&b, "- config_name: %s\n%s  splits:\n", t, featuresYAML)
		for _, split := range sortedSplits(s.Rows[t]) {
			fmt.Fprintf(&b, "  - name: %s\n    num_examples: %d\n", split, s.Rows[t][split])
		}
	}
	b.WriteString("---\n\n# cxrkit chest X-ray draft auditor SFT data\n\n")
	fmt.Fprintf(&b, "> **%s**\n>\n> Models trained on this data are research artefacts. Models fine-tuned from MedGemma are governed by the Health AI Developer Foundations (HAI-DEF) terms.\n\n", cxrkit.Disclaimer)
	b.WriteString("Exported by `cxrkit export` " + cxrkit.Version + ". Each row is one chat: the user turn holds the image (grounding) and the prompt, the assistant turn the target JSON.\n\n")
	b.WriteString("## Rows\n\n| config | split | rows |\n|---|---|---:|\n")
	for _, t := range tasks {
		for _, split := range sortedSplits(s.Rows[t]) {
			fmt.Fprintf(&b, "| %s | %s | %d |\n", t, split, s.Rows[t][split])
		}
	}
	if g := s.Labels[TaskGrounding]; len(g) > 0 {
		b.WriteString("\n## Grounding images per label\n\n| label | images |\n|---|---:|\n")
		for _, l := range labelmap.All() {
			fmt.Fprintf(&b, "| %s | %d |\n", l, g[string(l)])
		}
	}
	if d := s.Labels[TaskDraftParse]; len(d) > 0 {
		b.WriteString("\n## Draft-parse statements per label and status\n\n| label / status | statements |\n|---|---:|\n")
		for _, k := range slices.Sorted(maps.Keys(d)) {
			fmt.Fprintf(&b, "| %s | %d |\n", k, d[k])
		}
	}
	if len(s.Sources) > 0 {
		b.WriteString("\n## Sources and licences\n\n| source | images | licence |\n|---|---:|---|\n")
		for _, src := range slices.Sorted(maps.Keys(s.Sources)) {
			fmt.Fprintf(&b, "| %s | %d | %s |\n", src, s.Sources[src], licence(src))
		}
	}
	b.WriteString("\n## Prompts\n\nThe prompts are cxrkit's `configs/prompts/*.txt`, the same files `cxrkit audit` asks with.\n\n| prompt | sha256 |\n|---|---|\n")
	for _, k := range slices.Sorted(maps.Keys(s.Prompts)) {
		fmt.Fprintf(&b, "| %s | `%s` |\n", k, s.Prompts[k])
	}
	b.WriteString("\n## Format\n\n- `images`: list of `Image` (PNG bytes; one for grounding, none for draft_parse)\n" +
		"- `messages`: list of `{role, content: [{type, text}]}`; image parts have `type: image` and `text: null`\n" +
		"- `task`, `image_id`, `source`: strings\n- boxes: `box_2d = [y0, x0, y1, x1]`, fractions of the image height and width, 3 decimals\n\n")
	b.WriteString("## Load\n\n```python\nfrom datasets import load_dataset\n\nds = load_dataset(\"parquet\", data_files={\"train\": \"" + filepath.ToSlash(filepath.Join("grounding", "train-*.parquet")) + "\"}, split=\"train\")\n" +
		"print(ds.features[\"images\"])  # List(Image()): images decode to PIL\n```\n")
	return cxrkit.WriteFileAtomic(filepath.Join(dir, "README.md"), func(w *bufio.Writer) error {
		_, err := w.WriteString(b.String())
		return err
	})
}
