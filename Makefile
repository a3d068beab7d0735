# rtdw: `make demo` runs the warehouse on the mock shop; `make test` runs every test.
GO       ?= go
BIN      := bin/rtdw
DEMO_DIR ?= ./rtdw-data/demo

.PHONY: all build demo test deps bench vet fmt clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rtdw

# The whole warehouse on the mock shop, dashboard URL printed; Ctrl-C stops,
# running it again continues where it stopped.
demo: build
	./$(BIN) --data-dir $(DEMO_DIR) demo

# Debian packages the tests use (kcat), installed if missing.
deps:
	./scripts/setup-test-deps.sh

# Everything CI runs.
test: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	# The engine's concurrent core again under the race detector.
	$(GO) test -race -count=1 -timeout 20m ./internal/log/... ./internal/state/... ./internal/stream/... ./internal/operator/...

# Throughput and memory against a same-process baseline, plus Go benchmarks.
bench: build
	./$(BIN) bench log-split --events 1000000
	$(GO) test -run '^$$' -bench . -benchtime 2s ./internal/...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin rtdw-data
