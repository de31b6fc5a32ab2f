// Package sftexport writes supervised fine-tuning datasets as Hugging
// Face-style parquet folders (grounding and draft_parse tasks) with a
// dataset card, streaming one row group at a time, and verifies them by
// reading them back with Apache Arrow.
package sftexport
