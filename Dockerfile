# syntax=docker/dockerfile:1
# The bot as a container: Node 22 slim, the sources compiled to dist/ in a build stage (the compiler
# stays there), a production install (no compiler, no tsx/esbuild), a font for the charts, a non-root
# user, a health check on the ops listener's /healthz. Compiled rather than stripped at run time: ~40 MB
# less resident (Node's type stripper is itself a WebAssembly module) and a faster start.
#   docker build -t trading-council .
#   docker run -d --stop-timeout 60 --env-file .env -v council-data:/data -p 127.0.0.1:8080:8080 trading-council
# test/deploy/image-steps.test.ts performs these steps in a clean clone where no Docker engine runs.

# The build stage: the full install's `prepare` compiles src/ to dist/ (`npm run build`).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/prepare.js scripts/prepare.js
COPY src src
RUN npm ci --no-audit --no-fund

FROM node:22-bookworm-slim
# DejaVu Sans: the font the postmortem and backtest charts name; without a font resvg draws no text.
RUN apt-get update \
  && apt-get install -y --no-install-recommends fonts-dejavu-core \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prepare.js scripts/prepare.js
# `prepare` finds no compiler here and builds nothing: dist/ comes from the build stage.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin bin
COPY src src
# After src/: bin/council.js runs dist/ while its stamp is at least as new as every file in src/.
COPY --from=build /app/dist dist
COPY config config
COPY migrations migrations
COPY prompts prompts
COPY market-data market-data
# The image's own `node` user (uid 1000); the embedded database and reports live in /data.
RUN mkdir -p /data && chown node:node /data
USER node
ENV COUNCIL_DATA_DIR=/data \
    COUNCIL_HTTP_HOST=0.0.0.0 \
    COUNCIL_HTTP_PORT=8080
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.COUNCIL_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["node", "bin/council.js"]
CMD ["serve"]
