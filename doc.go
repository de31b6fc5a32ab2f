// Package cxrkit holds the domain language every cxrkit stage speaks: corpus
// records, image and draft findings, synthetic audit cases, audit results,
// and the streaming, atomic JSONL files they travel in.
//
// RESEARCH / EDUCATIONAL QA ONLY: not a medical device, not diagnosis, not
// for clinical use.
package cxrkit
