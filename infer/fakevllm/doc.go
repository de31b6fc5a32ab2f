// Package fakevllm is an in-process stand-in for a vLLM OpenAI-compatible
// server, for tests: /v1/models, /health and /v1/chat/completions with
// scripted answers, latency, 429/500/503 with and without Retry-After,
// both error body shapes vLLM has used, dropped connections and
// finish_reason "length" truncation; and RunBatch, a stand-in for
// `vllm run-batch`.
package fakevllm
