# syntax=docker/dockerfile:1
# batch-score-bot: one image for every role; the command picks it (`bot`, `worker`, `all`).
#   docker build -t batch-score-bot .
#   docker run --env-file .env -p 3000:3000 batch-score-bot bot
#   docker run --env-file .env batch-score-bot worker
# test/integration/production-install.test.ts performs the runtime stage's steps (read from this file) in a
# clean folder and starts the bot, a worker and the CLI from it, since no Docker daemon runs in CI.

# ---- build: dev dependencies and the TypeScript compiler; only dist/ leaves this stage ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsconfig.build.json compiles src/ only: the sandbox and dev/ (embedded stack, demo) stay out.
RUN npm run build

# ---- runtime: production dependencies from the lockfile, the compiled output, a non-root user ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# The npm cache is a build cache mount, so it never lands in the image.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The node image's unprivileged user; nothing in /app is writable by it except what it creates.
USER node
EXPOSE 3000
# Only the bot serves HTTP; compose switches this check off for workers (they have no port).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["bot"]
