// Package serve is the interactive auditor: one self-contained web page
// (HTML, CSS and JS embedded, no CDN) and a JSON API over the audit
// package, with an upload size limit, content sniffing, a per-request
// timeout, a concurrency limit, an optional bearer token and strict
// security headers. Images and drafts stay in memory: nothing is written
// to disk or logged.
package serve
