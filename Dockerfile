# One image for every LevelChat role. The set-up script installs Debian's packages, builds the
# mediasoup worker against them and compiles the TypeScript, exactly as `npm start` does locally.
FROM node:20-bookworm
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY tsconfig.json tsconfig.build.json ./
COPY common ./common
COPY src ./src
COPY storage ./storage
COPY pipeline ./pipeline
COPY players ./players
COPY bench ./bench
COPY sdk ./sdk
RUN node scripts/setup.mjs
ENV NODE_ENV=production
EXPOSE 8080
CMD ["node", "scripts/start.mjs"]
