// Package pipeline wires the stages together: it assembles an auditor
// from settings (shared by the audit and serve commands), reads pipeline
// config files, and runs prepare → synth → export → audit → eval in
// order, skipping stages whose outputs are newer than their inputs.
package pipeline
