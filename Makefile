# Makefile for tencent_live_exporter. `make help` lists the targets.
#
# Version information is stamped into the binary through
# github.com/prometheus/common/version, the same way in `make build`, the
# Dockerfile (`make image`) and .goreleaser.yaml, so `--version` and
# tencent_live_exporter_build_info show it:
#   version     the VERSION file
#   revision    the commit (git rev-parse HEAD)
#   branch      the branch (git rev-parse --abbrev-ref HEAD)
#   build user  user@host
#   build date  RFC 3339, UTC
# Outside a git checkout, revision and branch are "unknown".

# The Go that CI builds and tests with (GOTOOLCHAIN in .ci/run); the go
# command fetches it through the module proxy on first use. Set GOTOOLCHAIN
# in the environment to use another.
GOTOOLCHAIN ?= go1.27.3
export GOTOOLCHAIN

GO         ?= go
BIN        ?= tencent_live_exporter
VERSION    ?= $(shell cat VERSION)
REVISION   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH     ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
BUILD_USER ?= $(shell id -un 2>/dev/null || echo unknown)@$(shell hostname 2>/dev/null || echo unknown)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
# Evaluate each once, so every use in a run sees the same value.
VERSION    := $(VERSION)
REVISION   := $(REVISION)
BRANCH     := $(BRANCH)
BUILD_USER := $(BUILD_USER)
BUILD_DATE := $(BUILD_DATE)

# The image the release publishes (see .github/workflows/release.yml) and the
# deploy/ manifests name.
IMAGE      ?= ghcr.io/tencent-live-exporter/tencent_live_exporter
IMAGE_TAG  ?= v$(VERSION)
# Platforms of `make image-push`.
PLATFORMS  ?= linux/amd64,linux/arm64

VERSION_PKG := github.com/prometheus/common/version
LDFLAGS := -s -w \
	-X $(VERSION_PKG).Version=$(VERSION) \
	-X $(VERSION_PKG).Revision=$(REVISION) \
	-X $(VERSION_PKG).Branch=$(BRANCH) \
	-X $(VERSION_PKG).BuildUser=$(BUILD_USER) \
	-X $(VERSION_PKG).BuildDate=$(BUILD_DATE)
IMAGE_BUILD_ARGS := \
	--build-arg VERSION=$(VERSION) \
	--build-arg REVISION=$(REVISION) \
	--build-arg BRANCH=$(BRANCH) \
	--build-arg BUILD_DATE=$(BUILD_DATE)

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build ./tencent_live_exporter (BIN=path to write elsewhere) with the version stamped.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) .

.PHONY: test
test: ## Run the whole test suite, .ci/run (installs what it lacks; run as root).
	.ci/run

.PHONY: lint
lint: ## Run golangci-lint on the exporter and deploy/check (.ci/ops-checks installs it).
	status=0; \
	golangci-lint run ./... || status=1; \
	(cd deploy/check && golangci-lint run ./...) || status=1; \
	exit $$status

.PHONY: image
image: ## Build the container image (IMAGE:IMAGE_TAG, the manifests' image) with Docker.
	docker build $(IMAGE_BUILD_ARGS) -t $(IMAGE):$(IMAGE_TAG) .

.PHONY: image-push
image-push: ## Build the image for PLATFORMS with docker buildx and push it (release workflow).
	docker buildx build --platform $(PLATFORMS) $(IMAGE_BUILD_ARGS) -t $(IMAGE):$(IMAGE_TAG) --push .

.PHONY: release-notes
release-notes: ## Print the CHANGELOG.md entry of VERSION; fail unless it is dated.
	@awk -v v="$(VERSION)" ' \
		/^## / { if (found) exit; found = index($$0, "## " v " / ") == 1; dated = $$0 !~ / \/ unreleased$$/; next } \
		found && dated { print; n++ } \
		END { if (!found || !dated || !n) { print "CHANGELOG.md has no dated entry for " v > "/dev/stderr"; exit 1 } }' \
		CHANGELOG.md

.PHONY: clean
clean: ## Remove the binary and goreleaser's dist/.
	rm -rf $(BIN) dist
