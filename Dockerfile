# gpt3dev-api as one small image: a build stage compiles the self-contained executable (see scripts/build.ts); the
# final stage holds only that file on a glibc + libstdc++ + CA certificates base, running as a non-root user.
#
#   docker build -t gpt3dev-api .
#   docker run -p 8000:8000 -v gpt3dev-data:/data -e HF_TOKEN gpt3dev-api
#
# Base images are arguments so that mirrors or local stand-ins can be used (scripts/container-check.sh does).
ARG BUN_IMAGE=oven/bun:1.4.4
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${BUN_IMAGE} AS build
WORKDIR /src
COPY package.json bun.lock ./
# --ignore-scripts: onnxruntime-node's postinstall would fetch CUDA providers from NuGet; the image is CPU-only
# (see "GPU (CUDA)" in the README for adding them at run time).
RUN bun install --frozen-lockfile --production --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY scripts/build.ts ./scripts/build.ts
COPY scripts/build ./scripts/build
# The build context carries no .git: pass the commit for `--version` (docker build --build-arg GPT3DEV_BUILD_COMMIT=…).
ARG GPT3DEV_BUILD_COMMIT=unknown
RUN GPT3DEV_BUILD_COMMIT="${GPT3DEV_BUILD_COMMIT}" bun run scripts/build.ts --outfile /out/gpt3dev-api \
 && mkdir -p /out/data/models /out/data/cache

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/gpt3dev-api /usr/local/bin/gpt3dev-api
# /data is owned by the runtime user so that a fresh named volume mounted there is writable.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
# Downloaded models and the extracted onnxruntime library (one-time, ~46 MB) live in the volume, so they survive
# container restarts and upgrades. HF_TOKEN (for gated or private repos) is passed at run time: -e HF_TOKEN.
# MIMALLOC_PURGE_DELAY=-1: Bun's allocator keeps freed pages instead of returning them to the OS after ~10 ms;
# onnxruntime-node hands every step's KV cache back in fresh memory, and re-faulting it costs up to half a step.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    MODEL_CACHE_DIR=/data/models \
    XDG_CACHE_HOME=/data/cache \
    MIMALLOC_PURGE_DELAY=-1
VOLUME ["/data"]
EXPOSE 8000
# No curl or shell in the image: the executable checks GET /healthz on HOST:PORT itself (exit 0 healthy, 1 not).
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["/usr/local/bin/gpt3dev-api", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/gpt3dev-api"]
