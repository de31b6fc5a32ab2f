// Package infer is cxrkit's client for OpenAI-compatible model endpoints
// (vLLM, SGLang, llama.cpp server): request building with explicit sampling
// fields, transport retries, a response cache, OpenAI batch files, and the
// tolerant parsing of what models answer.
package infer
