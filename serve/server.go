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
	"net/http"
	"strings"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/imaging"
)

//go:embed web
var webFiles embed.FS

// Options configure the server.
type Options struct {
	Auditor *audit.Auditor
	// Health reports each model endpoint's state (nil error: answering).
	Health func(ctx context.Context) map[string]error
	// GroundingMode is shown on /healthz ("model" or "gold").
	GroundingMode string
	// MaxUploadBytes bounds a request body (default 20 MiB).
	MaxUploadBytes int64
	// Timeout bounds one audit (default 120s).
	Timeout time.Duration
	// MaxConcurrent audits run at once; more get 503 (default 4).
	MaxConcurrent int
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// the API.
	Token string
	// Logger receives one line per request: method, path, status,
	// duration. Never images or drafts.
	Logger *slog.Logger
}

// Server is the interactive auditor's HTTP handler.
type Server struct {
	o     Options
	slots chan struct{}
	mux   *http.ServeMux
}

// New builds the handler.
func New(o Options) (*Server, error) {
	if o.Auditor == nil {
		return nil, errors.New("serve: no auditor")
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = 20 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = 120 * time.Second
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{o: o, slots: make(chan struct{}, o.MaxConcurrent), mux: http.NewServeMux()}
	static, err := fs.Sub(webFiles, "web")
	if err != nil {
		return nil, err
	}
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		data, _ := fs.ReadFile(static, "index.html")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(data)
	})
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("POST /api/audit", s.authorized(s.limited(s.audit)))
	s.mux.HandleFunc("POST /api/preview", s.authorized(s.limited(s.preview)))
	return s, nil
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
	enc.Encode(v)
}

func fail(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, args...), Disclaimer: cxrkit.Disclaimer})
}

func (s *Server) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.o.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.o.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="cxrkit"`)
				fail(w, http.StatusUnauthorized, "a bearer token is required")
				return
			}
		}
		next(w, r)
	}
}

func (s *Server) limited(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
			next(w, r)
		default:
			w.Header().Set("Retry-After", "2")
			fail(w, http.StatusServiceUnavailable, "the server is busy (%d audits running); retry shortly", s.o.MaxConcurrent)
		}
	}
}

// upload is a parsed audit request.
type upload struct {
	image  []byte
	format imaging.Format
	name   string
	draft  string
}

var errTooLarge = errors.New("too large")

// readUpload reads the multipart body in memory (never to disk): the
// image part, sniffed by content, and the draft.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, needDraft bool) (*upload, int, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, http.StatusBadRequest, errors.New("want multipart/form-data with an image and a draft")
	}
	body := http.MaxBytesReader(w, r.Body, s.o.MaxUploadBytes)
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
		data, err := io.ReadAll(part)
		if err != nil {
			status, err := s.uploadError(err)
			return nil, status, err
		}
		switch part.FormName() {
		case "image":
			u.image, u.name = data, part.FileName()
		case "draft":
			u.draft = strings.TrimSpace(string(data))
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
	return u, 0, nil
}

// uploadError classifies a failed multipart read: over the size limit or
// malformed.
func (s *Server) uploadError(err error) (int, error) {
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, fmt.Errorf("upload larger than %d MB", s.o.MaxUploadBytes>>20)
	}
	return http.StatusBadRequest, fmt.Errorf("malformed upload: %v", err)
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
	u, status, err := s.readUpload(w, r, true)
	if err != nil {
		fail(w, status, "%v", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.o.Timeout)
	defer cancel()
	id := requestID()
	// The upload's file name (without extension) is its image id, so gold
	// grounding can find a corpus image by name; nothing else reads it.
	imageID := imageIDFromName(u.name)
	if imageID == "" {
		imageID = "upload-" + id
	}
	res := s.o.Auditor.Audit(ctx, audit.Input{CaseID: "web-" + id, DraftText: u.draft,
		Image: cxrkit.ImageRef{ImageID: imageID, Data: u.image}})
	switch {
	case res.Error != nil && ctx.Err() != nil:
		writeJSON(w, http.StatusGatewayTimeout, res)
	case res.Error != nil:
		writeJSON(w, http.StatusBadGateway, res)
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

// preview renders an uploaded image (DICOM included) as PNG for the page.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	u, status, err := s.readUpload(w, r, false)
	if err != nil {
		fail(w, status, "%v", err)
		return
	}
	img, _, err := imaging.Decode(bytes.NewReader(u.image))
	if err != nil {
		fail(w, http.StatusUnprocessableEntity, "cannot read the image: %v", err)
		return
	}
	var buf bytes.Buffer
	if err := imaging.EncodePNG(&buf, imaging.FitLongSide(img, 1024), true); err != nil {
		fail(w, http.StatusInternalServerError, "%v", err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(buf.Bytes())
}

// healthReport is the /healthz body.
type healthReport struct {
	Status        string            `json:"status"`
	Grounding     string            `json:"grounding"`
	Endpoints     map[string]string `json:"endpoints"`
	TokenRequired bool              `json:"token_required"`
	MaxUploadMB   int64             `json:"max_upload_mb"`
	Disclaimer    string            `json:"disclaimer"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	rep := healthReport{Status: "ok", Grounding: s.o.GroundingMode, Endpoints: map[string]string{},
		TokenRequired: s.o.Token != "", MaxUploadMB: s.o.MaxUploadBytes >> 20, Disclaimer: cxrkit.Disclaimer}
	if s.o.Health != nil {
		for ep, err := range s.o.Health(r.Context()) {
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
