package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/cxrkit/cxrkit/infer"
)

//go:embed web
var webFiles embed.FS

// Options configure the server.
type Options struct {
	Auditor *audit.Auditor `yaml:"-"`
	// Health reports each model endpoint's state (nil error: answering).
	Health func(ctx context.Context) map[string]error `yaml:"-"`
	// GroundingMode is shown on /healthz ("model" or "gold").
	GroundingMode string `yaml:"grounding"`
	// MaxUploadBytes bounds a request body.
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
	// UploadTimeout bounds reading one request body, so a client sending
	// slowly cannot hold the server.
	UploadTimeout time.Duration `yaml:"upload_timeout"`
	// Timeout bounds one audit, decoding and draft parsing included.
	Timeout time.Duration `yaml:"request_timeout"`
	// MaxConcurrent audits run at once; more get 503. A slot is taken
	// only once the upload has been read.
	MaxConcurrent int `yaml:"max_concurrent"`
	// MaxDraftChars bounds a draft, in characters (413 above).
	MaxDraftChars int `yaml:"max_draft_chars"`
	// Image bounds decoding uploads (--max-pixels).
	Image imaging.Options `yaml:"image"`
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// the API.
	Token string `yaml:"-"`
	// Logger receives one line per request: method, path, status,
	// duration. Never images or drafts.
	Logger *slog.Logger `yaml:"-"`
	// Review, when set, serves a finished audit read-only (no Auditor
	// needed): the page lists its cases instead of taking uploads.
	Review *Review `yaml:"-"`
}

// Defaults are the server's limits when none are given.
func Defaults() Options {
	return Options{MaxUploadBytes: 20 << 20, UploadTimeout: 30 * time.Second, Timeout: 120 * time.Second,
		MaxConcurrent: 4, MaxDraftChars: 20000, Image: imaging.Defaults()}
}

// Server is the interactive auditor's HTTP handler.
type Server struct {
	o Options
	// slots bounds audits running; uploads bounds bodies being read (each
	// for at most UploadTimeout).
	slots   chan struct{}
	uploads chan struct{}
	mux     *http.ServeMux
	// archives is the archive cache the server made and closes (nil when
	// the caller gave one in Options.Image).
	archives *imaging.ArchiveCache
	// health keeps the last endpoint probe: /healthz needs no token, so
	// probing on every request would let anyone hammer the endpoints.
	health struct {
		sync.Mutex
		at   time.Time
		last map[string]error
	}
}

// healthCacheFor is how long one endpoint probe answers /healthz.
const healthCacheFor = 5 * time.Second

// endpointHealth probes the endpoints at most once per healthCacheFor;
// requests meanwhile, concurrent ones included, share the last answer.
func (s *Server) endpointHealth(ctx context.Context) map[string]error {
	s.health.Lock()
	defer s.health.Unlock()
	if s.health.last != nil && time.Since(s.health.at) < healthCacheFor {
		return s.health.last
	}
	last := s.o.Health(ctx)
	if ctx.Err() == nil { // a probe cut short by its client says nothing
		s.health.at, s.health.last = time.Now(), last
	}
	return last
}

// New builds the handler; zero limits take their Defaults.
func New(o Options) (*Server, error) {
	if o.Auditor == nil && o.Review == nil {
		return nil, errors.New("serve: no auditor and no review")
	}
	d := Defaults()
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = d.MaxUploadBytes
	}
	if o.UploadTimeout <= 0 {
		o.UploadTimeout = d.UploadTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = d.Timeout
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = d.MaxConcurrent
	}
	if o.MaxDraftChars <= 0 {
		o.MaxDraftChars = d.MaxDraftChars
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var archives *imaging.ArchiveCache
	if o.Image.Archives == nil {
		// Review reads corpus images, possibly ARCHIVE.zip!MEMBER: one
		// cache for the server, so a case view opens no archive anew.
		archives = imaging.NewArchiveCache(maxOpenArchives)
		o.Image.Archives = archives
	}
	s := &Server{o: o, archives: archives, slots: make(chan struct{}, o.MaxConcurrent),
		uploads: make(chan struct{}, 4*o.MaxConcurrent), mux: http.NewServeMux()}
	static, err := fs.Sub(webFiles, "web")
	if err != nil {
		return nil, err
	}
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		data, _ := fs.ReadFile(static, "index.html")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(data)
	})
	s.mux.HandleFunc("GET /favicon.ico", favicon)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	if o.Review != nil {
		s.mux.HandleFunc("GET /api/review/cases", s.authorized(s.reviewCases))
		s.mux.HandleFunc("GET /api/review/case/{i}", s.authorized(s.reviewCase))
		s.mux.HandleFunc("GET /api/review/case/{i}/image", s.authorized(s.reviewImage))
		return s, nil
	}
	s.mux.HandleFunc("POST /api/audit", s.authorized(s.audit))
	s.mux.HandleFunc("POST /api/preview", s.authorized(s.preview))
	return s, nil
}

// maxOpenArchives bounds the zip archives the server keeps open (NIH
// has twelve).
const maxOpenArchives = 16

// Close closes the archives the server keeps open; call it once the
// server has stopped serving.
func (s *Server) Close() error {
	return s.archives.Close()
}

// ServeHTTP adds security headers and a request log line.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	s.mux.ServeHTTP(rec, r)
	s.o.Logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "ms", time.Since(start).Milliseconds())
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the connection (the upload
// read deadline).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// apiError is the JSON body of an error answer.
type apiError struct {
	Error      string `json:"error"`
	Disclaimer string `json:"disclaimer"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may have gone; nothing to tell it
}

func fail(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, args...), Disclaimer: cxrkit.Disclaimer})
}

func (s *Server) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.o.Token != "" {
			got, ok := bearerToken(r.Header.Get("Authorization"))
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.o.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="cxrkit"`)
				fail(w, http.StatusUnauthorized, "a bearer token is required")
				return
			}
		}
		next(w, r)
	}
}

// bearerToken reads "Bearer <token>"; the scheme is case-insensitive
// (RFC 9110 11.1).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// busy answers the JSON 503 with Retry-After.
func (s *Server) busy(w http.ResponseWriter, what string) {
	w.Header().Set("Retry-After", "2")
	fail(w, http.StatusServiceUnavailable, "the server is busy (%s); retry shortly", what)
}

// slot takes an audit slot, or answers 503 and returns false.
func (s *Server) slot(w http.ResponseWriter) (release func(), ok bool) {
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, true
	default:
		s.busy(w, fmt.Sprintf("%d audits running", s.o.MaxConcurrent))
		return nil, false
	}
}

// upload is a parsed audit request.
type upload struct {
	image  []byte
	format imaging.Format
	name   string
	draft  string
}

// readUpload reads the multipart body in memory (never to disk) within
// the upload timeout: the image part, sniffed by content, and the draft.
// Bodies being read at once are bounded too; over that bound the body is
// drained (within the timeout, never kept) so the client reads the 503.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, needDraft bool) (*upload, int, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, http.StatusBadRequest, errors.New("want multipart/form-data with an image and a draft")
	}
	rc := http.NewResponseController(w)
	// A deadline on the body read; cleared afterwards, since the server's
	// watch for a closed connection reads under the same deadline.
	// Errors mean the connection does not support deadlines (HTTP/2 test
	// recorders); the request timeout still bounds the read.
	_ = rc.SetReadDeadline(time.Now().Add(s.o.UploadTimeout))
	defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
	body := http.MaxBytesReader(w, r.Body, s.o.MaxUploadBytes)
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	default:
		_, _ = io.Copy(io.Discard, body) // drain so the 503 reaches the client
		return nil, http.StatusServiceUnavailable, fmt.Errorf("the server is busy (%d uploads being read); retry shortly", cap(s.uploads))
	}
	mr := multipart.NewReader(body, params["boundary"])
	u := &upload{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			status, err := s.uploadError(err)
			return nil, status, err
		}
		// Only the two known parts are kept. The draft is judged trimmed
		// of surrounding whitespace, and no more of it is kept than its
		// limit could need (in bytes), so an over-long draft costs its
		// limit, not its length, and padding costs nothing kept (the rest
		// of the body is drained, never kept, so the client reads the 413).
		switch part.FormName() {
		case "image":
			u.image, err = io.ReadAll(part)
			u.name = part.FileName()
		case "draft":
			var over bool
			u.draft, over, err = readDraft(part, s.o.MaxDraftChars*utf8.UTFMax)
			if err == nil && over {
				_, _ = io.Copy(io.Discard, body)
				return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("draft is more than %d characters; the limit is %d (--max-draft-chars)", s.o.MaxDraftChars, s.o.MaxDraftChars)
			}
		default:
			_, err = io.Copy(io.Discard, part)
		}
		if err != nil {
			status, err := s.uploadError(err)
			return nil, status, err
		}
	}
	if len(u.image) == 0 {
		return nil, http.StatusBadRequest, errors.New("no image in the upload (form field \"image\")")
	}
	u.format = imaging.Sniff(u.image[:min(len(u.image), 132)])
	if u.format == imaging.Unknown {
		return nil, http.StatusUnsupportedMediaType, errors.New("the image is not a PNG, JPEG or DICOM file")
	}
	if needDraft && u.draft == "" {
		return nil, http.StatusBadRequest, errors.New("no draft in the upload (form field \"draft\")")
	}
	if n := utf8.RuneCountInString(u.draft); n > s.o.MaxDraftChars {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("draft is %d characters; the limit is %d (--max-draft-chars)", n, s.o.MaxDraftChars)
	}
	return u, 0, nil
}

// uploadError classifies a failed multipart read: over the size limit,
// too slow, or malformed.
func (s *Server) uploadError(err error) (int, error) {
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, fmt.Errorf("upload larger than %d MB", s.o.MaxUploadBytes>>20)
	}
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
		return http.StatusRequestTimeout, fmt.Errorf("upload not received within %v (--upload-timeout)", s.o.UploadTimeout)
	}
	return http.StatusBadRequest, fmt.Errorf("malformed upload: %v", err)
}

// imageStatus maps an image decoding failure to a client error: over the
// budget 413, not an image cxrkit reads 415, damaged 422; a deadline 504.
func imageStatus(err error) int {
	switch {
	case errors.Is(err, imaging.ErrOverBudget):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, imaging.ErrUnsupported):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, imaging.ErrMalformed):
		return http.StatusUnprocessableEntity
	}
	return http.StatusUnprocessableEntity
}

// auditStatus is the HTTP status of an audit result: 200 with a verdict;
// 4xx for the client's mistakes (an image not in the gold corpus, an
// unreadable image); 504 when time ran out; 503 when the endpoint is
// overloaded; 502 for any other endpoint failure.
func auditStatus(ctx context.Context, cause error) int {
	var se *infer.StatusError
	switch {
	case cause == nil:
		return http.StatusOK
	case errors.Is(cause, audit.ErrNotInCorpus):
		return http.StatusNotFound
	case errors.Is(cause, imaging.ErrOverBudget), errors.Is(cause, imaging.ErrUnsupported), errors.Is(cause, imaging.ErrMalformed):
		return imageStatus(cause)
	case ctx.Err() != nil || errors.Is(cause, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.As(cause, &se) && (se.Status == http.StatusServiceUnavailable || se.Status == http.StatusTooManyRequests):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}

// imageIDFromName keeps the base name of an uploaded file without its
// extension, limited to safe characters.
func imageIDFromName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	if len(name) > 128 {
		return ""
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return ""
		}
	}
	return name
}

func requestID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	// The draft is optional: without one the answer is an image-only
	// reading, findings and no verdict.
	u, status, err := s.readUpload(w, r, false)
	if err != nil {
		s.refuse(w, status, err)
		return
	}
	release, ok := s.slot(w)
	if !ok {
		return
	}
	defer release()
	ctx, cancel := context.WithTimeout(r.Context(), s.o.Timeout)
	defer cancel()
	// The upload is decoded once here, within the budget and deadline,
	// so a bad image is the client's 4xx before any model is asked.
	if _, _, err := s.o.Image.Decode(ctx, bytes.NewReader(u.image)); err != nil {
		fail(w, imageStatus(err), "cannot read the image: %v", err)
		return
	}
	id := requestID()
	// The upload's file name (without extension) is its image id, so gold
	// grounding can find a corpus image by name; nothing else reads it.
	imageID := imageIDFromName(u.name)
	if imageID == "" {
		imageID = "upload-" + id
	}
	in := audit.Input{CaseID: "web-" + id, DraftText: u.draft, Image: cxrkit.ImageRef{ImageID: imageID, Data: u.image}}
	var res cxrkit.Result
	var cause error
	if u.draft == "" {
		res, cause = s.o.Auditor.ReadImage(ctx, in)
	} else {
		res, cause = s.o.Auditor.Run(ctx, in)
	}
	writeJSON(w, auditStatus(ctx, cause), res)
}

// refuse answers a failed upload and closes the connection: the rest of
// a body is never waited for (the server would otherwise drain it before
// answering, without the upload deadline). A 503 says when to retry.
func (s *Server) refuse(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Connection", "close")
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "2")
	}
	fail(w, status, "%v", err)
}

// preview renders an uploaded image (DICOM included) as PNG for the page.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	u, status, err := s.readUpload(w, r, false)
	if err != nil {
		s.refuse(w, status, err)
		return
	}
	release, ok := s.slot(w)
	if !ok {
		return
	}
	defer release()
	ctx, cancel := context.WithTimeout(r.Context(), s.o.Timeout)
	defer cancel()
	img, _, err := s.o.Image.Decode(ctx, bytes.NewReader(u.image))
	if err != nil {
		fail(w, imageStatus(err), "cannot read the image: %v", err)
		return
	}
	var buf bytes.Buffer
	if err := imaging.EncodePNG(&buf, imaging.FitLongSide(img, 1024), true); err != nil {
		fail(w, http.StatusInternalServerError, "%v", err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(buf.Bytes()) // the client may have gone
}

// healthReport is the /healthz body.
type healthReport struct {
	Status        string            `json:"status"`
	Mode          string            `json:"mode"`
	Grounding     string            `json:"grounding"`
	Endpoints     map[string]string `json:"endpoints"`
	TokenRequired bool              `json:"token_required"`
	MaxUploadMB   int64             `json:"max_upload_mb"`
	Disclaimer    string            `json:"disclaimer"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	mode := "audit"
	if s.o.Review != nil {
		mode = "review"
	}
	rep := healthReport{Status: "ok", Mode: mode, Grounding: s.o.GroundingMode, Endpoints: map[string]string{},
		TokenRequired: s.o.Token != "", MaxUploadMB: s.o.MaxUploadBytes >> 20, Disclaimer: cxrkit.Disclaimer}
	if s.o.Health != nil {
		for ep, err := range s.endpointHealth(r.Context()) {
			if err != nil {
				rep.Status = "degraded"
				rep.Endpoints[ep] = err.Error()
			} else {
				rep.Endpoints[ep] = "ok"
			}
		}
	}
	status := http.StatusOK
	if rep.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, rep)
}
