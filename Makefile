# jokebox: the two commands that matter are `make dev` and `make test`.
# Deployment targets (build, package, deploy, remove, lint-deploy) are in deploy.mk.

GO ?= go
# The pinned Go tools, where scripts/setup.sh installs them (GOBIN, else GOPATH/bin),
# not whatever other version PATH may hold.
GOTOOLS_BIN = $(shell b=$$($(GO) env GOBIN); echo "$${b:-$$($(GO) env GOPATH)/bin}")
STATICCHECK ?= $(GOTOOLS_BIN)/staticcheck
ACTIONLINT ?= $(GOTOOLS_BIN)/actionlint
FUZZTIME ?= 5s
FUZZTIME_LONG ?= 2m

.PHONY: dev setup test short check vet lint unit race fuzz bench-smoke bench audio

## dev: run the whole skill on this machine with the sample audio (http://127.0.0.1:8080); DEV_FLAGS="--addr 127.0.0.1:9090" passes flags
# Built, then run in the recipe's place, not with `go run`: go run exits 1 whenever it is
# interrupted, even when the program it runs exits 0, so Ctrl-C would end with "make: *** Error 1".
dev:
	@echo "building jokebox: the first build takes about a minute, later ones a few seconds"
	$(GO) build -o bin/jokebox ./cmd/jokebox
	exec bin/jokebox dev $(DEV_FLAGS)

## short: the quick loop: every test but the slow and emulator-backed ones (go test -short ./...)
short:
	$(GO) test -short ./...

## test: everything CI runs: setup, vet, staticcheck, all tests (emulators, deploy, browser), race, fuzz, benchmarks once
test: setup check unit race fuzz bench-smoke

## setup: install what test needs (Debian packages as root, npm ci, pinned Go tools), or stop at once saying what is missing
setup:
	./scripts/setup.sh

check: vet lint

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

## lint: staticcheck on the Go code, actionlint on the CI workflows
lint:
	$(STATICCHECK) ./...
	$(ACTIONLINT) .github/workflows/*.yml

unit:
	$(GO) test -count=1 -timeout 30m ./...

## race: the packages with concurrency, and the 30 s concurrent-writers test, under the race detector
race:
	$(GO) test -count=1 -race -timeout 30m ./shared/... ./internal/...
	$(GO) test -count=1 -race -timeout 30m -run TestConcurrentWriters ./e2e/faults/

## fuzz: the smoke run of make test: every fuzz target for FUZZTIME each, then
## a table of execs per target (scripts/fuzz.sh)
fuzz:
	GO=$(GO) ./scripts/fuzz.sh $(FUZZTIME) 2s

## fuzz-long: the CI fuzz job: every fuzz target for FUZZTIME_LONG each
.PHONY: fuzz-long
fuzz-long:
	GO=$(GO) ./scripts/fuzz.sh $(FUZZTIME_LONG) 20s

## bench-smoke: every benchmark once, so they cannot rot
bench-smoke:
	$(GO) test -count=1 -run '^$$' -bench . -benchtime=1x -timeout 30m ./...

## bench: the performance report (see README, Performance)
bench:
	$(GO) run ./bench/cmd/report

## audio: regenerate the sample and test audio (needs espeak-ng and lame)
audio:
	./scripts/make-audio.sh

include deploy.mk
