# The kdrill image: the bundled CLI on node:24-slim (an LTS kdrill is tested on), running as a non-root user.
# Build: docker build -t kdrill:0.1.0 .   (kind: kind load docker-image kdrill:0.1.0)
# test/cli/dockerfile.test.ts checks that every file named here exists and that the entrypoint runs the bundle.

FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
COPY packages/lab/package.json packages/lab/package.json
COPY scripts/build.mjs scripts/build.mjs
# no lifecycle scripts: `prepare` would build before the sources are copied
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src src
COPY packages/lab/src packages/lab/src
RUN node scripts/build.mjs

# esbuild bundles every dependency into dist/: the runtime image needs no node_modules but zx, the
# program a scenario's `script:` step runs (zx has no dependencies of its own)
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/dist dist
COPY --from=build /src/node_modules/zx node_modules/zx
COPY package.json ./
COPY bin bin
COPY assets assets
COPY scenarios scenarios
COPY runbooks runbooks
COPY scenario.schema.json ./
# a numeric user, so Kubernetes can verify runAsNonRoot; the CronJob uses the same id
USER 10001:10001
ENTRYPOINT ["node", "/app/bin/kdrill.mjs"]
CMD ["--help"]
