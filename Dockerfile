# The zarrify CLI as an image: `docker run --rm -v $(pwd):/data zarrify:latest <verb> ...`.
# Build (BuildKit: DOCKER_BUILDKIT=1 with Debian's docker.io 20.10, or docker buildx):
#
#   DOCKER_BUILDKIT=1 docker build -t zarrify:latest .
#   DOCKER_BUILDKIT=1 docker build --secret id=npm_ca,src="$NODE_EXTRA_CA_CERTS" -t zarrify:latest .
#
# Build args: NODE_IMAGE (base of every stage), USER and UID (run as a non-root user). See
# docs/docker.md. No `# syntax=` line on purpose: that would pull a frontend image from a
# registry, and the engine's built-in frontend already knows RUN --mount.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# zstd-napi compiles from source (its prebuilt binaries come from GitHub, which a closed network
# does not reach), so node-gyp needs python3, make and g++.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The registry may be reachable only through a TLS-inspecting proxy whose CA the host trusts: that
# CA comes in as the secret npm_ca, mounted for this step only, so it is in no layer. Without the
# secret, the file is absent and npm uses the image's own CAs. Scripts run below, once src/ is
# not needed for them (the root package's `prepare` would build src/, which is not copied yet).
# `npm ls`, because npm 10 can give up on an unreachable registry and still exit 0 ("Exit handler
# never called!").
RUN --mount=type=secret,id=npm_ca \
  if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
  { npm ci --ignore-scripts --no-audit --no-fund && npm ls >/dev/null 2>&1; } || { \
    echo "npm ci could not install the dependencies: is the npm registry reachable? Behind a TLS-inspecting proxy, pass its CA: --secret id=npm_ca,src=\$NODE_EXTRA_CA_CERTS (docs/docker.md)" >&2; \
    exit 1; }
# Node's own headers (node:20 images have them under /usr/local/include/node), so node-gyp
# downloads none.
RUN npm_config_nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" \
  && export npm_config_nodedir \
  && { test -f "$npm_config_nodedir/include/node/node_api.h" || { \
    echo "NODE_IMAGE has no Node headers under $npm_config_nodedir/include/node, which zstd-napi compiles against: use a node:20 image (docs/docker.md)" >&2; \
    exit 1; }; } \
  && npm rebuild --no-audit --no-fund \
  && node -e 'require("zstd-napi")'

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs scripts/h5wasm-split.mjs ./scripts/
COPY src ./src
RUN npm run build \
  && find dist \( -name '*.d.ts' -o -name '*.map' \) -delete \
  && chmod 0755 dist/cli/bin.js

# Production dependencies only, without what nothing loads at run time: type declarations, source
# maps, docs, zstd-napi's sources and object files (the built binding.node stays), h5wasm's
# browser bundle (not reachable through its exports map).
FROM deps AS prod
RUN npm prune --omit=dev --no-audit --no-fund \
  && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
    -o -name '*.map' -o -name '*.md' \) -delete \
  && rm -rf node_modules/zstd-napi/deps node_modules/zstd-napi/src \
    node_modules/zstd-napi/build/Release/obj.target node_modules/zstd-napi/build/Release/.deps \
    node_modules/zstd-napi/build/Release/zstd.a node_modules/h5wasm/dist/iife \
  && node -e 'require("zstd-napi")'

FROM ${NODE_IMAGE}
# USER=root (the default) writes into a bind-mounted /data as root. USER=<name> runs as that
# user: an existing one (node:20 images have `node`, uid 1000) or a new one with uid UID; pick the
# host owner's uid to write into a bind-mounted folder as that owner (or keep USER=root and run
# with `--user $(id -u):$(id -g)`).
ARG USER=root
ARG UID=10001
WORKDIR /app
COPY --from=prod /app/package.json ./package.json
COPY --from=prod /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN ln -s /app/dist/cli/bin.js /usr/local/bin/zarrify \
  && mkdir -p /data \
  && if [ "$USER" != root ]; then \
    id -u "$USER" >/dev/null 2>&1 \
      || useradd --uid "$UID" --user-group --no-create-home --home-dir /data \
        --shell /usr/sbin/nologin "$USER"; \
    chown "$USER:" /data; \
  fi \
  && zarrify --version
USER ${USER}
# Paths in the seed's commands are /data/...; mount the host folder there.
WORKDIR /data
VOLUME ["/data"]
ENTRYPOINT ["zarrify"]
CMD ["--help"]
