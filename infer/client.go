package infer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cxrkit/cxrkit"
)

// ClientOptions configure a Client.
type ClientOptions struct {
	// Endpoints are OpenAI-compatible base URLs ("http://gpu:8000/v1").
	Endpoints []string
	Model     string
	APIKey    string
	// Timeout bounds one HTTP attempt (0: ClientDefaults').
	Timeout time.Duration
	// Retries is the number of transport retries after the first attempt
	// on 429, 5xx, connection errors and timeouts: 0 means ClientDefaults',
	// NoRetries (or any negative number) none.
	Retries int
	// Backoff is the first retry delay (default 500ms), doubled each time
	// with jitter, capped at MaxBackoff (default 20s). A Retry-After header
	// overrides it.
	Backoff, MaxBackoff time.Duration
	// ExtraBody fields are merged into every request body (vLLM options
	// such as top_k or repetition_penalty).
	ExtraBody map[string]any
	// HTTPClient is the transport (default a pooled http.Client).
	HTTPClient *http.Client
	// MaxResponseBytes bounds an endpoint's answer (default 8 MiB); a
	// longer one is that case's error.
	MaxResponseBytes int64
	// Cache, when set, answers repeated identical requests.
	Cache Cache
}

// Response is the part of a completion cxrkit uses.
type Response struct {
	Text         string `json:"text"`
	FinishReason string `json:"finish_reason"`
	Model        string `json:"model"`
	Cached       bool   `json:"-"`
	Endpoint     string `json:"-"`
}

// Client calls one model behind one or more OpenAI-compatible endpoints,
// sending each request to the least busy endpoint and retrying transport
// failures.
type Client struct {
	opts      ClientOptions
	endpoints []*endpoint
	mu        sync.Mutex
	next      int
	rng       *rand.Rand
}

type endpoint struct {
	url string
	// name is url with its user-info redacted: what errors, results,
	// health reports and logs show.
	name     string
	secrets  []string
	inFlight int
}

// NoRetries asks for a client that never retries.
const NoRetries = -1

// ClientDefaults is the one home of the client defaults that flags show
// and NewClient applies to zero fields: a minute per HTTP attempt, 4
// transport retries, 8 MiB answers.
func ClientDefaults() ClientOptions {
	return ClientOptions{Timeout: time.Minute, Retries: 4, MaxResponseBytes: 8 << 20}
}

// ErrInvalidEndpoint reports an unusable --endpoint value.
var ErrInvalidEndpoint = errors.New("invalid endpoint")

// NewClient validates options.
func NewClient(o ClientOptions) (*Client, error) {
	if len(o.Endpoints) == 0 {
		return nil, fmt.Errorf("%w: %w: give at least one --endpoint", cxrkit.ErrInvalidOptions, ErrInvalidEndpoint)
	}
	if o.Model == "" {
		return nil, fmt.Errorf("%w: no --model", cxrkit.ErrInvalidOptions)
	}
	d := ClientDefaults()
	if o.Timeout <= 0 {
		o.Timeout = d.Timeout
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = d.MaxResponseBytes
	}
	switch {
	case o.Retries == 0:
		o.Retries = d.Retries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 20 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
			DialContext: (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		}}
	}
	c := &Client{opts: o, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
	for _, raw := range o.Endpoints {
		u, err := url.Parse(strings.TrimRight(raw, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			shown := "(unparseable)"
			if err == nil {
				shown = redactedURL(u)
			}
			return nil, fmt.Errorf("%w: %w %q: want http(s)://host:port/v1", cxrkit.ErrInvalidOptions, ErrInvalidEndpoint, shown)
		}
		c.endpoints = append(c.endpoints, &endpoint{url: u.String(), name: redactedURL(u), secrets: userInfoForms(u)})
	}
	return c, nil
}

// Model is the model name requests are sent to.
func (c *Client) Model() string { return c.opts.Model }

// Endpoints returns the endpoint URLs, user-info redacted.
func (c *Client) Endpoints() []string {
	out := make([]string, len(c.endpoints))
	for i, e := range c.endpoints {
		out[i] = e.name
	}
	return out
}

func (c *Client) acquire() *endpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	best := -1
	for k := range c.endpoints {
		i := (c.next + k) % len(c.endpoints)
		if best < 0 || c.endpoints[i].inFlight < c.endpoints[best].inFlight {
			best = i
		}
	}
	c.next = (best + 1) % len(c.endpoints)
	c.endpoints[best].inFlight++
	return c.endpoints[best]
}

func (c *Client) release(e *endpoint) {
	c.mu.Lock()
	e.inFlight--
	c.mu.Unlock()
}

// Forget drops the cached answer to r, if any.
func (c *Client) Forget(r Request) {
	if c.opts.Cache != nil {
		c.opts.Cache.Delete(RequestKey(c.opts.Model, r, c.opts.ExtraBody))
	}
}

// Chat sends a request, answering from the cache when it can, and retries
// 429, 5xx, dropped connections and timeouts with exponential backoff and
// jitter, honouring Retry-After.
func (c *Client) Chat(ctx context.Context, r Request) (Response, error) {
	var key string
	if c.opts.Cache != nil {
		key = RequestKey(c.opts.Model, r, c.opts.ExtraBody)
		if resp, ok := c.opts.Cache.Get(key); ok {
			resp.Cached = true
			return resp, nil
		}
	}
	// The body is built once and sent as it is by every attempt.
	body, err := newSentBody(c.opts.Model, r, c.opts.ExtraBody)
	if err != nil {
		return Response{}, fmt.Errorf("%w: %w", cxrkit.ErrInvalidOptions, err)
	}
	var lastErr error
	for attempt := 0; attempt <= c.opts.Retries; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, c.delay(attempt, lastErr)); err != nil {
				return Response{}, err
			}
		}
		resp, hint, err := c.once(ctx, body)
		if err == nil {
			if c.opts.Cache != nil && resp.FinishReason != "" {
				c.opts.Cache.Put(key, resp)
			}
			return resp, nil
		}
		if ctx.Err() != nil {
			return Response{}, ctx.Err()
		}
		lastErr = &attemptError{err: err, retryAfter: hint}
		if !retryable(err) {
			break
		}
	}
	return Response{}, unwrapAttempt(lastErr)
}

type attemptError struct {
	err        error
	retryAfter string
}

func (a *attemptError) Error() string { return a.err.Error() }
func (a *attemptError) Unwrap() error { return a.err }

func unwrapAttempt(err error) error {
	var a *attemptError
	if errors.As(err, &a) {
		return a.err
	}
	return err
}

func (c *Client) once(ctx context.Context, body *sentBody) (Response, string, error) {
	e := c.acquire()
	defer c.release(e)
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	out, retryAfter, err := c.post(actx, e.url+"/chat/completions", body)
	if err != nil {
		return Response{}, retryAfter, &EndpointError{URL: e.name, Err: scrub(err, e.secrets)}
	}
	if len(out.Choices) == 0 {
		return Response{}, "", &EndpointError{URL: e.name, Err: fmt.Errorf("%w: response has no choices", errMalformedResponse)}
	}
	ch := out.Choices[0]
	return Response{Text: ch.Message.Content, FinishReason: ch.FinishReason, Model: out.Model, Endpoint: e.name}, "", nil
}

// errMalformedResponse is JSON that is cut short or lacks choices, which
// a retry can cure.
var errMalformedResponse = errors.New("malformed response")

// ErrNotJSON reports a successful HTTP answer whose body is not JSON at
// all, such as a proxy's login page or a web UI at the --endpoint URL. It
// is not retried.
var ErrNotJSON = errors.New("the endpoint did not answer JSON")

// StatusError is an HTTP error answer from an endpoint.
type StatusError struct {
	Status  int
	Message string
}

func (s *StatusError) Error() string {
	if s.Message == "" {
		return fmt.Sprintf("HTTP %d", s.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", s.Status, s.Message)
}

func retryable(err error) bool {
	var s *StatusError
	if errors.As(err, &s) {
		return s.Status == http.StatusTooManyRequests || s.Status == http.StatusRequestTimeout || s.Status >= 500
	}
	if errors.Is(err, ErrNotJSON) {
		// A web page or a proxy's answer: asking again gets the same page.
		return false
	}
	if errors.Is(err, errMalformedResponse) {
		return true
	}
	// Network errors (*url.Error is a net.Error: dropped and reset
	// connections, attempt timeouts) and truncated bodies.
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded)
}

func (c *Client) delay(attempt int, last error) time.Duration {
	var a *attemptError
	if errors.As(last, &a) && a.retryAfter != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(a.retryAfter)); err == nil && secs >= 0 {
			return min(time.Duration(secs)*time.Second, c.opts.MaxBackoff)
		}
		if t, err := http.ParseTime(a.retryAfter); err == nil {
			return min(max(time.Until(t), 0), c.opts.MaxBackoff)
		}
	}
	d := c.opts.Backoff << (attempt - 1)
	if d > c.opts.MaxBackoff || d <= 0 {
		d = c.opts.MaxBackoff
	}
	c.mu.Lock()
	j := c.rng.Float64()
	c.mu.Unlock()
	return time.Duration(float64(d) * (0.5 + j)) // ±50% jitter
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Health checks that every endpoint lists models (GET /models).
func (c *Client) Health(ctx context.Context) map[string]error {
	out := map[string]error{}
	for _, e := range c.endpoints {
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		out[e.name] = scrub(c.get(hctx, e.url+"/models"), e.secrets)
		cancel()
	}
	return out
}
