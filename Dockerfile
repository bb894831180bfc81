# Both binaries (safapac-api, safapac-worker) in one image; docker-compose.yml picks the
# command per service.

FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
# Cache mounts keep the registry and the build between image builds; the binaries are copied
# out because the cache mount is not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p safapac-api -p safapac-worker \
    && cp target/release/safapac-api target/release/safapac-worker /usr/local/bin/

FROM debian:bookworm-slim
# ca-certificates: TLS to SMTP servers; curl: the healthchecks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin safapac
COPY --from=builder /usr/local/bin/safapac-api /usr/local/bin/safapac-worker /usr/local/bin/
USER safapac
# The API's port, the worker's operator port and the API's operator listener; the two operator
# ports are for the private network only (see docker-compose.yml).
EXPOSE 8000 9100 9101
CMD ["safapac-api", "serve"]
