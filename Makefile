# consumerkit — run `make help` for the targets.
SHELL := /bin/bash
GO    ?= go
PKGS  ?= ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE   ?= consumerkit:dev
FUZZTIME ?= 20s
SOAK_DURATION ?= 60m
SOAK_REBALANCE_EVERY ?= 5m
SOAK_TIMEOUT ?= 3h

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
test: test-tools ## all tests with -race: unit, and integration on the embedded broker (or KAFKA_BROKERS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

.PHONY: test-tools
test-tools: ## what the tests need besides Go: kcat, podman, runc, etcd (apt-get when missing), kube-apiserver and kubectl (built once, ~10 min, cached)
	scripts/test-tools.sh

.PHONY: mutation
mutation: ## mutation testing (gremlins) of message, middleware, lifecycle, cache, config, watchdog, scaffold, the engine's broker-free units: efficacy >= 90% each
	scripts/mutation.sh

.PHONY: fuzz
fuzz: ## every fuzz target (config loader, letter headers, replay filter, PUT /loglevel, order decoding) for FUZZTIME (20s) each, one after another
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

.PHONY: test-e2e
test-e2e: ## the built binary against the real broker of KAFKA_BROKERS, checked with kcat and Kafka's own tools
	KAFKA_BROKERS=$${KAFKA_BROKERS:-127.0.0.1:9092} KAFKA_CLASSPATH="$$(scripts/kafka.sh classpath)" \
	  $(GO) test -race -count=1 -timeout 10m -tags e2e ./e2e/

.PHONY: test-secure
test-secure: ## against the SASL_SSL broker of `KAFKA_SECURITY=sasl_ssl make kafka-up` (its client.env): the ledger tests, the binary's end-to-end test, refused credentials and certificates; KAFKA_SASL_MECHANISM=PLAIN|SCRAM-SHA-256|SCRAM-SHA-512 picks the mechanism
	mech=$${KAFKA_SASL_MECHANISM:-}; env=$$(scripts/kafka.sh env) && set -a && . "$$env" && set +a && \
	  export KAFKA_SASL_MECHANISM=$${mech:-$$KAFKA_SASL_MECHANISM} KAFKA_CLASSPATH="$$(scripts/kafka.sh classpath)" && \
	  echo "test-secure: $$KAFKA_BROKERS, TLS, SASL $$KAFKA_SASL_MECHANISM" && \
	  $(GO) test -race -count=1 -timeout 10m -run '^TestLedger' ./pkg/kafka/ && \
	  $(GO) test -race -count=1 -timeout 10m -tags 'e2e secured' -run '^(TestBinaryConsumesKcatOrdersAndLeavesNoLag|TestSecured)' ./e2e/

.PHONY: test-network
test-network: ## ledgers through a misbehaving network (in-process toxiproxy on KAFKA_ADVERTISED_PORT, 9192, in front of the broker on KAFKA_PORT, 9092): latency, resets, bandwidth, a 30s black hole, the broker SIGKILLed and restarted, a publisher and dead letters through resets; start the broker with `KAFKA_ADVERTISED_PORT=9192 make kafka-up`
	export KAFKA_PORT=$${KAFKA_PORT:-9092} KAFKA_ADVERTISED_PORT=$${KAFKA_ADVERTISED_PORT:-9192} && \
	  KAFKA_BROKERS=127.0.0.1:$$KAFKA_ADVERTISED_PORT KAFKA_UPSTREAM=127.0.0.1:$$KAFKA_PORT \
	  $(GO) test -race -count=1 -timeout 9m -tags network -run '^TestNetwork' -v ./pkg/kafka/

.PHONY: soak
soak: ## SOAK_DURATION (60m) of the binary against the real broker of KAFKA_BROKERS: 2,000 orders/s, 1% poison, 0.1% panics, a rebalance every SOAK_REBALANCE_EVERY (5m), the cache churning; fails if RSS, heap, goroutines or descriptors grow, or an order is lost; CSV and PNG in SOAK_OUT (.cache/soak/<time>)
	KAFKA_BROKERS=$${KAFKA_BROKERS:-127.0.0.1:9092} SOAK_DURATION=$(SOAK_DURATION) SOAK_REBALANCE_EVERY=$(SOAK_REBALANCE_EVERY) \
	  SOAK_OUT=$(if $(SOAK_OUT),$(abspath $(SOAK_OUT))) \
	  $(GO) test -race -count=1 -timeout $(SOAK_TIMEOUT) -v -tags 'e2e soak' -run '^TestSoak$$' ./e2e/

.PHONY: image
image: ## container image IMAGE (consumerkit:dev) with podman, else docker: IMAGE_BUILD=local (default: binary built here, FROM scratch, no registry) or registry (built in golang, FROM distroless), one final stage
	IMAGE=$(IMAGE) VERSION=$(VERSION) scripts/image.sh build

.PHONY: test-container
test-container: ## the image, built by the test with `make image`, run read-only as 65532 with podman against the real broker of KAFKA_BROKERS
	KAFKA_BROKERS=$${KAFKA_BROKERS:-127.0.0.1:9092} KAFKA_CLASSPATH="$$(scripts/kafka.sh classpath)" \
	  $(GO) test -race -count=1 -timeout 15m -tags 'e2e container' -run 'Container' ./e2e/

.PHONY: bench
bench: ## benchmarks with ratios against peers measured in the same run (real broker when KAFKA_BROKERS is set)
	$(GO) test -run '^$$' -bench 'DispatchAndTrack|FetchToCommittable' -benchmem -count 6 ./pkg/kafka/
	$(GO) test -run '^$$' -bench 'NoopThroughputVsKafkaGo' -benchtime 6x ./pkg/kafka/
	$(GO) test -run '^$$' -bench 'KeyOrderingVsPartitionOrdering' -benchtime 3x ./pkg/kafka/

.PHONY: bench-peers
bench-peers: ## consumerkit against kafka-go, franz-go, sarama, watermill-kafka and kcat (bench/, a module of its own), each in its own process with a fresh group, ROUNDS (7) interleaved rounds, committed offsets verified after every run; prints the table, writes markdown, JSON and a PNG chart to bench/results/<time>; against KAFKA_BROKERS, else a broker it starts on KAFKA_PORT (9092) and stops; BENCH_QUICK=1: a smoke test (~1 min)
	scripts/bench-peers.sh

.PHONY: kafka-up
kafka-up: ## start Apache Kafka KAFKA_VERSION (default 4.1.1; 3.9.1 supported) on 127.0.0.1:9092 (jars cached); KAFKA_SECURITY=sasl_ssl: TLS and SASL, client settings in .cache/kafka/client.env; KAFKA_ADVERTISED_PORT: advertise another port (a proxy, make test-network)
	scripts/kafka.sh up

.PHONY: kafka-down
kafka-down: ## stop the broker kafka-up started and delete its data
	scripts/kafka.sh down

.PHONY: k8s-up
k8s-up: ## start kube-apiserver 1.37.2 on etcd at 127.0.0.1:16443 with the ServiceMonitor and ScaledObject CRDs (built once, cached)
	scripts/k8s.sh up

.PHONY: k8s-down
k8s-down: ## stop the API server and etcd that k8s-up started and delete their data
	scripts/k8s.sh down

.PHONY: deploy-check
deploy-check: ## render deploy/k8s and every overlay, check them against the service, and dry-run them (strict) on the k8s-up API server
	eval "$$(scripts/k8s.sh env)" && $(GO) test -count=1 -tags deploycheck -v ./deploy/k8s/

.PHONY: lint
lint: ## gofmt, go vet, and wire diff must all be clean
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags e2e ./e2e/
	$(GO) vet -tags 'e2e container' ./e2e/
	$(GO) vet -tags 'e2e secured' ./e2e/
	$(GO) vet -tags 'e2e soak' ./e2e/
	$(GO) vet -tags deploycheck ./deploy/k8s/
	$(GO) vet -tags network ./pkg/kafka/
	cd bench && $(GO) vet ./...
	$(GO) tool wire diff $(PKGS)

.PHONY: remove-example
remove-example: ## delete the example service (orders enricher, demo feed, demo faults); leaves an empty service that builds, tests and runs
	scripts/remove-example.sh

.PHONY: clean
clean: ## remove build output
	rm -rf bin
