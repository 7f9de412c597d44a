# nodetool-edge as a container: one static binary (the native runner with the WebAssembly
# component embedded) on an empty base image, running as an unprivileged numeric user.
#
#   docker build -t nodetool-edge .
#   docker run --rm -p 7777:7777 -e SECRETS_MASTER_KEY=... -e SERVER_AUTH_TOKEN=... \
#       -v nodetool-workspace:/workspace -v "$PWD/hf-cache:/hf-cache:ro" nodetool-edge
#
# Stages: `builder` compiles everything; `runner-bin` is the small tree the image takes from it
# (`/nodetool-edge` and the empty volume directories under `/volumes/`); the last stage is the
# image. scripts/container-check replaces `runner-bin` with a directory holding a binary built
# on the host (`--build-context runner-bin=DIR`), so the image can be checked without pulling
# the Rust image.

# The toolchain the project is built and tested with (rust-version in Cargo.toml is the floor).
ARG RUST_VERSION=1.95.0

FROM rust:${RUST_VERSION}-slim-bookworm AS builder
# musl-gcc compiles the C in the dependencies (SQLite, ring) for the static target.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/*
# x86_64 musl for the runner; wasm32-wasip2 for the component its build script compiles and
# embeds (native-runner/build.rs).
RUN rustup target add x86_64-unknown-linux-musl wasm32-wasip2
WORKDIR /src
COPY . .
# The image takes the binary without its symbol tables (`install -s`): about 9 MB less.
RUN --mount=type=cache,id=nodetool-edge-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=nodetool-edge-target,target=/src/target \
    cargo build --locked --release -p nodetool-edge-runner --target x86_64-unknown-linux-musl \
    && mkdir -p /out/volumes/workspace /out/volumes/hf-cache \
    && install -s -m 0755 target/x86_64-unknown-linux-musl/release/nodetool-edge /out/nodetool-edge

FROM scratch AS runner-bin
COPY --from=builder /out/ /

FROM scratch
# Root owns the binary; the unprivileged user owns only the volume mount points, so a fresh
# named volume starts out writable by it.
COPY --from=runner-bin /nodetool-edge /nodetool-edge
COPY --from=runner-bin --chown=65532:65532 /volumes/ /
# As NodeTool's container instructions: a private server with a static token, its database on
# /workspace and the Hugging Face cache on /hf-cache. The deployment config file (where a token
# generated on first start is kept) lives on the volume too. No secret is set here: production
# refuses to start without SECRETS_MASTER_KEY, and SERVER_AUTH_TOKEN comes from the operator (or
# is generated once, printed and saved to /workspace/deployment.yaml). HOME is the volume too,
# so what the runner keeps under the user's directories by default (the compiled component,
# which makes a restart take milliseconds instead of seconds) survives restarts; the root
# filesystem can stay read-only.
ENV HOME=/workspace \
    ENV=production \
    NODETOOL_SERVER_MODE=private \
    AUTH_PROVIDER=static \
    DB_PATH=/workspace/nodetool.db \
    HF_HOME=/hf-cache \
    NODETOOL_CONFIG_PATH=/workspace/deployment.yaml
VOLUME ["/workspace", "/hf-cache"]
WORKDIR /workspace
USER 65532:65532
EXPOSE 7777
# No HEALTHCHECK: the image has no shell or HTTP client, and the runner has no health
# subcommand. Probe GET /health (no auth) from outside: orchestrator, compose, load balancer.
# SIGTERM (docker stop) shuts the server down cleanly.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/nodetool-edge"]
CMD ["serve", "--host", "0.0.0.0", "--port", "7777"]
