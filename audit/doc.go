// Package audit owns the deterministic judgement of a draft against an
// image: the comparator (MISSING, UNSUPPORTED, URGENT), the rule-based draft
// parser, and the auditor that combines a grounding source and a draft
// parser over single cases and resumable batches.
package audit
