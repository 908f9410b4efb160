# consumerkit — run `make help` for the targets.
SHELL := /bin/bash
GO    ?= go
PKGS  ?= ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: generate
generate: ## regenerate wire_gen.go from wire.go (never edit wire_gen.go by hand)
	$(GO) tool wire gen .

.PHONY: build
build: ## build bin/consumer
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/consumer ./cmd/consumer

.PHONY: run
run: ## run the example service on the embedded broker (metrics: http://127.0.0.1:9090/metrics)
	$(GO) run ./cmd/consumer run

.PHONY: test
test: ## all tests with -race: unit, and integration on the embedded broker (or KAFKA_BROKERS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

.PHONY: lint
lint: ## gofmt, go vet, and wire diff must all be clean
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool wire diff $(PKGS)

.PHONY: clean
clean: ## remove build output
	rm -rf bin
