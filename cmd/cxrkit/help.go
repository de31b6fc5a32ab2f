package main

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/urfave/cli/v2"
)

// examples are shown under EXAMPLES in each command's help. They run from
// a checkout of the repository (the samples are in testdata/).
var examples = map[string][]string{
	"": {
		"cxrkit run configs/quickstart.yaml          # the whole pipeline on the bundled samples",
		"cxrkit prepare --help                       # one command's flags and examples",
		"cxrkit completion bash > /etc/bash_completion.d/cxrkit",
	},
	"labels": {
		"cxrkit labels                               # the six labels and what maps to them",
		"cxrkit labels --labelmap my_labelmap.yaml   # check an edited label map",
	},
	"prepare": {
		"cxrkit prepare --vindr testdata/vindr/train.csv --vindr-meta testdata/vindr/train_meta.csv --out out/prepare",
		"cxrkit prepare --nih-bbox testdata/nih/BBox_List_2017_sample.csv --nih-entries testdata/nih/Data_Entry_2017_sample.csv \\\n       --nih-images testdata/nih/images --normal-ratio all --out out/nih",
	},
	"dicom2png": {
		"cxrkit dicom2png --out scan.png scan.dcm",
		"cxrkit dicom2png --bits 16 --out-dir pngs/ a.dcm b.dcm",
	},
	"synth": {
		"cxrkit synth --corpus out/prepare/corpus.jsonl --out out/cases.jsonl",
		"cxrkit synth --corpus out/prepare/corpus.jsonl --out out/val_cases.jsonl --split validation --cases faithful,missing",
	},
	"export": {
		"cxrkit export --corpus out/nih/corpus.jsonl --cases out/cases.jsonl --out out/sft --verify",
		"cxrkit export --cases out/cases.jsonl --tasks draft_parse --out out/sft_drafts",
	},
	"audit": {
		"cxrkit audit --endpoint http://gpu:8000/v1 --model medgemma-cxr --image testdata/nih/images/00000001_000.png \\\n       --draft \"Mild cardiomegaly. No pleural effusion.\"",
		"cxrkit audit --grounding gold --corpus out/prepare/corpus.jsonl --cases out/cases.jsonl --out out/results.jsonl",
		"cxrkit audit --endpoint http://gpu:8000/v1 --model medgemma-cxr --corpus out/nih/corpus.jsonl --cases out/cases.jsonl \\\n       --out out/results.jsonl --concurrency 16",
	},
	"eval": {
		"cxrkit eval --gold out/nih/corpus.jsonl --pred out/results.jsonl --html report.html",
		"cxrkit eval --gold out/nih/corpus.jsonl --pred a.jsonl --pred-b b.jsonl --markdown compare.md",
		"cxrkit eval --cases out/cases.jsonl --pred out/results.jsonl --out audit_report.json",
	},
	"serve": {
		"cxrkit serve --endpoint http://gpu:8000/v1 --model medgemma-cxr",
		"cxrkit serve --grounding gold --corpus out/prepare/corpus.jsonl",
		"cxrkit serve --review testdata/review/results.jsonl --corpus testdata/review/corpus.jsonl --cases testdata/review/cases.jsonl",
	},
	"run": {
		"cxrkit run configs/quickstart.yaml",
		"cxrkit run --force configs/vindr.yaml",
	},
	"version": {
		"cxrkit version",
	},
	"completion": {
		"cxrkit completion bash > ~/.local/share/bash-completion/completions/cxrkit",
		"cxrkit completion zsh > \"${fpath[1]}/_cxrkit\"",
		"cxrkit completion fish > ~/.config/fish/completions/cxrkit.fish",
	},
}

// Flag categories of the two commands with many flags. A flag not listed
// falls under "Other", so a new flag is never lost from the help.
const (
	catEndpoint = "Model endpoint"
	catParsing  = "Prompts, draft parsing and verdicts"
	catBatch    = "Inputs, outputs and batches"
	catServer   = "Server and limits"
	catReview   = "Review a finished audit"
	catOther    = "Other"
)

var flagCategories = map[string]map[string]string{
	"audit": {
		"endpoint": catEndpoint, "model": catEndpoint, "api-key": catEndpoint, "timeout": catEndpoint, "retries": catEndpoint,
		"image-max-side": catEndpoint, "server-resizes": catEndpoint, "max-tokens": catEndpoint, "seed": catEndpoint,
		"structured": catEndpoint, "structured-wrapper": catEndpoint, "box-scale": catEndpoint, "extra-body": catEndpoint,
		"max-response-mb": catEndpoint, "profile": catEndpoint, "contract": catEndpoint, "allow-mismatch": catEndpoint, "no-preflight": catEndpoint,
		"prompt-grounding": catParsing, "draft-parser": catParsing, "draft-endpoint": catParsing, "draft-model": catParsing,
		"prompt-draft": catParsing, "draft-rules": catParsing, "uncertain-as": catParsing, "urgent": catParsing, "labelmap": catParsing,
		"image": catBatch, "draft": catBatch, "cases": catBatch, "out": catBatch, "corpus": catBatch, "grounding": catBatch,
		"image-root": catBatch, "concurrency": catBatch, "cache": catBatch, "no-cache": catBatch, "emit-batch": catBatch,
		"ingest-batch": catBatch, "max-pixels": catBatch, "max-image-mb": catBatch, "keep-errors": catBatch,
	},
	"serve": {
		"endpoint": catEndpoint, "model": catEndpoint, "api-key": catEndpoint, "timeout": catEndpoint, "retries": catEndpoint,
		"image-max-side": catEndpoint, "server-resizes": catEndpoint, "max-tokens": catEndpoint, "seed": catEndpoint,
		"structured": catEndpoint, "structured-wrapper": catEndpoint, "box-scale": catEndpoint, "extra-body": catEndpoint,
		"max-response-mb": catEndpoint, "profile": catEndpoint, "contract": catEndpoint, "allow-mismatch": catEndpoint, "no-preflight": catEndpoint,
		"grounding": catEndpoint, "corpus": catEndpoint,
		"prompt-grounding": catParsing, "draft-parser": catParsing, "draft-endpoint": catParsing, "draft-model": catParsing,
		"prompt-draft": catParsing, "draft-rules": catParsing, "uncertain-as": catParsing, "urgent": catParsing, "labelmap": catParsing,
		"addr": catServer, "max-upload-mb": catServer, "request-timeout": catServer, "max-concurrent": catServer,
		"upload-timeout": catServer, "max-draft-chars": catServer, "token": catServer, "max-pixels": catServer, "max-image-mb": catServer,
		"review": catReview, "cases": catReview, "image-root": catReview,
	},
}

// setCategory sets the Category field every urfave/cli v2 flag type has.
func setCategory(f cli.Flag, category string) {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	if field := v.Elem().FieldByName("Category"); field.IsValid() && field.CanSet() && field.Kind() == reflect.String {
		field.SetString(category)
	}
}

// examplesSection renders an EXAMPLES block for a help template.
func examplesSection(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nEXAMPLES:\n")
	for _, l := range lines {
		b.WriteString("   " + strings.ReplaceAll(l, "\n", "\n   ") + "\n")
	}
	return b.String()
}

// decorateHelp adds examples to every command's help and groups the flags
// of audit and serve by category.
func decorateHelp(app *cli.App) {
	app.CustomAppHelpTemplate = cli.AppHelpTemplate + examplesSection(examples[""])
	for _, c := range app.Commands {
		if cats, ok := flagCategories[c.Name]; ok {
			for _, f := range c.Flags {
				cat, ok := cats[f.Names()[0]]
				if !ok {
					cat = catOther
				}
				setCategory(f, cat)
			}
		}
		c.CustomHelpTemplate = cli.CommandHelpTemplate + examplesSection(examples[c.Name])
	}
}

// didYouMean turns a usage error about an unknown flag into one that
// names the closest flag of the command.
func didYouMean(c *cli.Context, err error) error {
	const prefix = "flag provided but not defined: -"
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) || c == nil {
		return err
	}
	given := strings.TrimLeft(strings.TrimPrefix(msg, prefix), "-")
	var flags []cli.Flag
	if c.Command != nil && c.Command.Name != "" {
		flags = c.Command.Flags
	} else {
		flags = c.App.Flags
	}
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	if s := cxrkit.Closest(given, names); s != "" {
		return fmt.Errorf("unknown flag --%s; did you mean --%s?", given, s)
	}
	return fmt.Errorf("unknown flag --%s (see --help)", given)
}
