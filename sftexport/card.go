package sftexport

import (
	"bufio"
	"encoding/json"
	"fmt"
	"github.com/cxrkit/cxrkit/configs"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// licences of the sources a corpus may hold.
func licence(source cxrkit.Source) string {
	switch source {
	case cxrkit.SourceNIH:
		return "NIH ChestX-ray14: public, citation requested (Wang et al., CVPR 2017)"
	case cxrkit.SourceChestXDet:
		return "ChestX-Det: Apache-2.0 (Lian et al., IEEE TMI 2021); images from NIH ChestX-ray14"
	case cxrkit.SourceVinDr:
		return "VinDr-CXR: PhysioNet credentialed access / VinDr data use agreement, non-commercial research only (Nguyen et al., Sci Data 2022)"
	}
	return string(source) + ": see its own licence"
}

// writeCard writes DIR/README.md: YAML front matter with configs, data
// files and features, then counts, sources, licences, prompt hashes and
// how to load the data.
func writeCard(dir string, s *Summary, c *Contract) error {
	contractJSON, err := json.Marshal(c)
	if err != nil {
		return err
	}
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
		fmt.Fprintf(&b, "- config_name: %s\n%s  splits:\n", t, featuresYAML(c.Format))
		for _, split := range sortedSplits(s.Rows[t]) {
			fmt.Fprintf(&b, "  - name: %s\n    num_examples: %d\n", split, s.Rows[t][split])
		}
	}
	// JSON is YAML: the block is one line any YAML or JSON reader takes.
	fmt.Fprintf(&b, "cxrkit_contract: %s\n", contractJSON)
	b.WriteString("---\n\n# cxrkit chest X-ray draft auditor SFT data\n\n")
	fmt.Fprintf(&b, "> **%s**\n>\n> Models trained on this data are research artefacts. Models fine-tuned from MedGemma are governed by the Health AI Developer Foundations (HAI-DEF) terms.\n\n", cxrkit.Disclaimer)
	b.WriteString("Exported by `cxrkit export` " + cxrkit.Version + ". Each row is one chat: the user turn holds the image (grounding) and the prompt, the assistant turn the target JSON.\n\n")
	b.WriteString(contractSection(c))
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
	b.WriteString(formatSection(c))
	b.WriteString("## Load\n\n```python\nfrom datasets import load_dataset\n\nds = load_dataset(\"parquet\", data_files={\"train\": \"" + filepath.ToSlash(filepath.Join("grounding", "train-*.parquet")) + "\"}, split=\"train\")\n" +
		"print(ds.features[\"images\"])  # List(Image()): images decode to PIL\n```\n")
	b.WriteString(processorCheck(c))
	return cxrkit.WriteFileAtomic(filepath.Join(dir, "README.md"), func(w *bufio.Writer) error {
		_, err := w.WriteString(b.String())
		return err
	})
}

// contractSection is the human-readable part of the contract.
func contractSection(c *Contract) string {
	var b strings.Builder
	b.WriteString("## Contract\n\nThe `cxrkit_contract` block above (and `contract.json` beside this card) records how these rows were made. " +
		"`cxrkit audit --contract DIR` and `cxrkit serve --contract DIR` ask a model trained on them the same way, and refuse a flag that contradicts it.\n\n")
	fmt.Fprintf(&b, "| | |\n|---|---|\n| profile | `%s` (sha256 `%s`) |\n| format | `%s` |\n", c.Profile.Name, c.ProfileSHA256, c.Format)
	fmt.Fprintf(&b, "| boxes | `%s` as `[%s]`, scale `%s` |\n", c.Box.Field, strings.Join(orderNames(c.Box.Order), ", "), c.Box.Scale)
	side := "kept"
	if c.Images.MaxSide > 0 {
		side = fmt.Sprintf("long side fitted to %d px", c.Images.MaxSide)
	}
	depth := "8-bit (16-bit sources windowed like dicom2png)"
	if c.Images.BitDepth == 0 {
		depth = "as stored (--keep-16bit)"
	}
	fmt.Fprintf(&b, "| images | %s; %s; padded to a square: %v |\n", c.Images.Encoding, side, c.Images.PadToSquare)
	fmt.Fprintf(&b, "| bit depth | %s |\n", depth)
	for _, task := range slices.Sorted(maps.Keys(c.Tasks)) {
		t := c.Tasks[task]
		fmt.Fprintf(&b, "| %s prompt | `%s` (sha256 `%s`), target `%s` |\n", task, t.PromptFile, t.PromptSHA256, t.TargetFormat)
	}
	b.WriteString("\n")
	return b.String()
}

func orderNames(order configs.BoxOrder) []string {
	if order == configs.BoxOrderXY {
		return []string{"x0", "y0", "x1", "y1"}
	}
	return []string{"y0", "x0", "y1", "x1"}
}

// formatSection describes the columns of the export's format.
func formatSection(c *Contract) string {
	chat := "- `messages`: list of `{role, content: [{type, text}]}`; image parts have `type: image` and `text: null`\n"
	if c.Format == FormatPromptCompletion {
		chat = "- `prompt`: the user turn, list of `{role, content: [{type, text}]}`; image parts have `type: image` and `text: null`\n" +
			"- `completion`: the assistant turn with the target (TRL's conversational prompt-completion form, for completion-only loss: TRL computes the loss on the completion alone)\n"
	}
	box := "fractions of the image height and width, 3 decimals"
	if c.Box.Scale == "1000" {
		box = "on a 0-1000 grid of the image, integers"
	}
	if c.Images.PadToSquare {
		box += ", relative to the image padded to a square (black, centred) as stored here"
	}
	return "\n## Format\n\n- `images`: list of `Image` (PNG bytes; one for grounding, none for draft_parse)\n" + chat +
		"- `task`, `image_id`, `source`: strings\n- boxes: `box_2d = [" + strings.Join(orderNames(c.Box.Order), ", ") + "]`, " + box + "\n\n"
}

// processorCheck is a snippet that proves the image reaches the model:
// the processor must turn the image part into image tokens and pixel
// values, or training silently learns from text alone.
func processorCheck(c *Contract) string {
	chat := `row["messages"]`
	if c.Format == FormatPromptCompletion {
		chat = `row["prompt"] + row["completion"]`
	}
	return "\n## Check that the processor consumes the image\n\nRun this with your model's processor before training: it fails when the image part of the chat " +
		"does not become image tokens (a chat template that drops it trains on text alone).\n\n```python\n" +
		"from transformers import AutoProcessor\n\n" +
		"processor = AutoProcessor.from_pretrained(\"google/medgemma-4b-it\")  # your base model\n" +
		"row = ds[0]\n" +
		"chat = " + chat + "\n" +
		"text = processor.apply_chat_template(chat, tokenize=False)\n" +
		"images = [im.convert(\"RGB\") for im in row[\"images\"]]\n" +
		"batch = processor(text=[text], images=[images], return_tensors=\"pt\")\n" +
		"assert \"pixel_values\" in batch and batch[\"pixel_values\"].numel() > 0, \"no pixel values\"\n" +
		"image_token = getattr(processor, \"image_token_id\", None) or processor.tokenizer.convert_tokens_to_ids(processor.image_token)\n" +
		"n = int((batch[\"input_ids\"] == image_token).sum())\n" +
		"assert n > 0, \"the chat template dropped the image: no image tokens\"\n" +
		"print(f\"{n} image tokens, pixel_values {tuple(batch['pixel_values'].shape)}\")\n```\n"
}
