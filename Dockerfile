# syntax=docker/dockerfile:1
# Build stage: compiles the native addon and the TypeScript with the dev toolchain.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json binding.gyp tsconfig.json ./
COPY native ./native
COPY scripts ./scripts
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY proto ./proto
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev

# Runtime stage: only what the gateway needs to run, as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    AILB_DATA_DIR=/var/lib/ailb \
    PORT=4000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build/Release/ailb_native.node ./build/Release/ailb_native.node
COPY --from=build /app/dist/src ./dist/src
COPY docs ./docs
RUN mkdir -p /var/lib/ailb && chown node:node /var/lib/ailb
VOLUME ["/var/lib/ailb"]
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health/liveliness').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["start"]
