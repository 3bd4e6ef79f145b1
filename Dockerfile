# syntax=docker/dockerfile:1
#
# Tahsil's production image: one static binary on Debian slim, run as a
# non-root user. Kafka and PostgreSQL are external (see docker-compose.yml);
# the embedded ones of `make run` are not used in a container.
#
#   docker build --build-arg VERSION=$(git describe --always --dirty) -t tahsil .
#   (or: make docker)

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# timetzdata embeds the time zone database: instants are shown in
# Africa/Algiers whatever the runtime image carries.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -tags timetzdata -ldflags "-X main.version=${VERSION}" -o /out/tahsil ./cmd/tahsil

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tahsil \
 && useradd --system --uid 10001 --gid tahsil --home-dir /var/lib/tahsil --create-home --shell /usr/sbin/nologin tahsil
COPY --from=build /out/tahsil /usr/local/bin/tahsil
USER tahsil:tahsil
WORKDIR /var/lib/tahsil
# Listen on every interface inside the container; publish the port on the
# host's loopback only until authentication exists (see README).
ENV TAHSIL_DATA_DIR=/var/lib/tahsil \
    TAHSIL_HTTP_ADDR=0.0.0.0:8080 \
    TAHSIL_URL=http://127.0.0.1:8080 \
    TAHSIL_LOG_FORMAT=json
EXPOSE 8080
# `tahsil health` asks TAHSIL_URL/readyz; the image has no curl.
HEALTHCHECK --interval=10s --timeout=6s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/tahsil", "health"]
ENTRYPOINT ["/usr/local/bin/tahsil"]
CMD ["serve"]
