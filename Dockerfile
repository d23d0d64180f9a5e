# syntax=docker/dockerfile:1
# check=error=true
#
# tencent_live_exporter container image: a static binary on an empty base,
# running as an unprivileged user. `make image` builds it with the version
# information filled in:
#
#   make image
#   docker run --rm -p 10071:10071 ghcr.io/tencent-live-exporter/tencent_live_exporter:v0.2.0 --demo
#
# or by hand (BUILD_DATE in RFC 3339, UTC):
#
#   docker build -t tencent_live_exporter \
#     --build-arg VERSION="$(cat VERSION)" \
#     --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg BRANCH="$(git rev-parse --abbrev-ref HEAD)" \
#     --build-arg BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
#
# deploy/check's Dockerfile tests parse and lint this file, check its labels
# and its Go version against .ci/run, and run its go build command (no Docker
# engine needed).

# The Go that CI builds and tests with (GOTOOLCHAIN in .ci/run).
ARG GO_VERSION=1.27.3
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG BRANCH=unknown
ARG BUILD_DATE

# Build on the builder's own platform and cross-compile, so multi-platform
# builds (docker buildx build --platform linux/amd64,linux/arm64) need no emulation.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION
ARG REVISION
ARG BRANCH
ARG BUILD_DATE
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS="${TARGETOS}" GOARCH="${TARGETARCH}" \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w \
        -X github.com/prometheus/common/version.Version=${VERSION} \
        -X github.com/prometheus/common/version.Revision=${REVISION} \
        -X github.com/prometheus/common/version.Branch=${BRANCH} \
        -X github.com/prometheus/common/version.BuildUser=docker \
        -X github.com/prometheus/common/version.BuildDate=${BUILD_DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}" \
      -o /out/tencent_live_exporter .
# A passwd/group entry for the runtime user, so tools inside and outside the
# container show a name instead of a bare UID.
RUN echo 'exporter:x:65532:65532:tencent_live_exporter:/nonexistent:/sbin/nologin' > /out/passwd \
 && echo 'exporter:x:65532:' > /out/group

FROM scratch
ARG VERSION
ARG REVISION
ARG BUILD_DATE
# OCI annotations (https://specs.opencontainers.org/image-spec/annotations/).
# "created" is empty unless BUILD_DATE is given, as make image does.
LABEL org.opencontainers.image.title="tencent_live_exporter" \
      org.opencontainers.image.description="Prometheus exporter for Tencent Cloud Live rooms" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.source="https://github.com/tencent-live-exporter/tencent_live_exporter" \
      org.opencontainers.image.url="https://github.com/tencent-live-exporter/tencent_live_exporter" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/passwd /etc/passwd
COPY --from=build /out/group /etc/group
COPY --from=build /out/tencent_live_exporter /bin/tencent_live_exporter
USER 65532:65532
EXPOSE 10071 10072
ENTRYPOINT ["/bin/tencent_live_exporter"]
CMD ["--config.file=/etc/tencent_live_exporter/tencent_live.yml"]
