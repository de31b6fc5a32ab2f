# Everyday targets. CI runs `.ci/run` (a superset of `make ci`).
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT ?= golangci-lint
# Packages with goroutines: worker pools, the HTTP server, the memo.
RACE_PKGS := ./audit/ ./infer/... ./serve/ ./pipeline/ ./dataset/ ./sftexport/

.PHONY: test race lint lint-install layering bench fuzz ci

test:
	go test ./...

race:
	go test -race $(RACE_PKGS)

lint-install:
	go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

lint:
	gofmt -l $$(git ls-files '*.go') | (! grep .) || (echo "gofmt needed"; exit 1)
	go vet ./...
	$(GOLANGCI_LINT) run ./...

# A stage imported from boxes, or one stage from another, must fail the lint.
layering:
	GOLANGCI_LINT=$(GOLANGCI_LINT) .ci/layering-check

bench:
	go test ./... -run XXX -bench . -benchtime 3x

# Each fuzzer for FUZZTIME, one worker (the machine is shared).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$(go list ./...); do \
	  for f in $$(go test -list 'Fuzz.*' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; go test $$pkg -run XXX -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -parallel=1 || exit 1; \
	  done; \
	done

ci: lint layering test race
