// Package synth generates synthetic draft impressions and corrupted audit
// cases with known answers from corpus records, using the phrase bank of
// configs/phrases.yaml and the audit comparator for expected answers.
package synth
