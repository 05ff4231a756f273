# syntax=docker/dockerfile:1

# Build: install with the lockfile, compile, then drop the dev dependencies.
FROM node:24-slim AS build
WORKDIR /app
# better-sqlite3 and argon2 build from source when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Run: the built service and its production dependencies only, as the unprivileged node user.
FROM node:24-slim
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The embedded SQLite default writes to /app/data; mount a volume there, or set DATABASE_URL.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `npm run start:prod` runs exactly this; node as PID 1 receives SIGTERM itself.
CMD ["node", "dist/main.js"]
