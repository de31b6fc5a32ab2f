// Package eval measures grounding models and the audit layer: presence
// precision/recall/F1, box localization by per-image greedy matching, urgent
// recall, bootstrap confidence intervals and paired head-to-head comparison,
// written as JSON, Markdown and self-contained HTML reports.
package eval
