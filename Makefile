# leakwatch — every entry point. `make demo` and `make test` do all of their own set-up.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_MODULES_STAMP := node_modules/.package-lock.json

.PHONY: help install build lint up down status migrate test test-unit test-integration demo demo-stop bench clean fuzz

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_MODULES_STAMP)

install: $(NODE_MODULES_STAMP) ## npm ci (also compiles through `prepare`) when package files changed

build: install ## compile TypeScript to dist/
	npm run --silent build

lint: install ## biome formatter + linter, tsc type check
	npm run --silent lint
	npx tsc -p tsconfig.json --noEmit

up: ## provision (first time) and start Kafka + ClickHouse on 127.0.0.1 (idempotent)
	bash deploy/local/up.sh

down: ## stop the leakwatch services and the Kafka/ClickHouse this checkout started
	bash deploy/local/services.sh stop
	bash deploy/local/down.sh

status: ## what is running
	-bash deploy/local/services.sh status
	bash deploy/local/status.sh

migrate: build up ## apply ClickHouse migrations
	node bin/leakwatch.js migrate

test: build lint ## lint, unit tests, then integration and end-to-end tests on real Kafka and ClickHouse
	bash test/support/make-test.sh

test-unit: build ## unit tests only (no services needed)
	npm run --silent test:unit

fuzz: build ## schemathesis against the running API's /openapi.json on real ClickHouse (zero 5xx, zero schema violations)
	bash test/fuzz/run.sh

demo: build ## run the whole product on this machine and show the alerts it raises
	bash deploy/local/demo.sh

demo-stop: ## stop the demo's services (Kafka and ClickHouse keep running; `make down` stops all)
	bash deploy/local/services.sh stop

bench: build ## benchmarks (figures printed, no assertions)
	bash test/bench/run.sh

clean: ## remove build output (keeps Kafka jars and service data)
	rm -rf dist
