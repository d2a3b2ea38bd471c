// Builds the browser code into dist/players: the @levelchat/web SDK bundle (dist/players/sdk/
// levelchat-web.js, served at /sdk/), the LL-HLS player bundle (dist/players/sdk/levelchat-player.js:
// hls.js + createPlayer + <levelchat-player>; the SDK imports it on demand for its LL-HLS fallback)
// and the demo console (dist/players/demo/, served at /).
// Type-checks players/ with its own tsconfig (DOM types) first. Skipped when the outputs are newer
// than every source. Called by scripts/setup after the TypeScript build; also runnable alone:
//   node scripts/setup/players.mjs
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestMtime } from './build.mjs';

const SDK_OUT = 'dist/players/sdk/levelchat-web.js';
const SDK_URL = '/sdk/levelchat-web.js';
const PLAYER_OUT = 'dist/players/sdk/levelchat-player.js';
const PLAYER_URL = '/sdk/levelchat-player.js';
/** Demo scripts: each bundled alone, importing the SDK from /sdk/ at run time. */
const DEMO_ENTRIES = ['app.ts', 'harness.ts'];
const SOURCES = ['players', 'src/signaling/protocol.ts', 'package-lock.json'];

function typecheck(root) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'players/tsconfig.json'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`players/ does not type-check:\n${out}`))));
  });
}

/** Fails the build if anything would pull a Node built-in into browser code. */
const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(build) {
    const builtins = new Set(builtinModules);
    build.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.replace(/^node:/, '');
      if (args.path.startsWith('node:') || (builtins.has(bare) && args.kind !== 'entry-point')) {
        return { errors: [{ text: `browser code must not import the Node built-in "${args.path}" (from ${args.importer})` }] };
      }
      return undefined;
    });
  },
};

/** In demo scripts, the SDK and player sources are the bundles the server serves. */
const sdkFromServer = {
  name: 'sdk-from-server',
  setup(build) {
    build.onResolve({ filter: /\/web\/index\.js$/ }, () => ({ path: SDK_URL, external: true }));
    build.onResolve({ filter: /\/player\/index\.js$/ }, () => ({ path: PLAYER_URL, external: true }));
  },
};

/** In the SDK, `import('../player/index.js')` loads the player bundle next to it, when needed. */
const playerOnDemand = {
  name: 'player-on-demand',
  setup(build) {
    build.onResolve({ filter: /\/player\/index\.js$/ }, (args) => {
      if (args.kind !== 'dynamic-import') return { errors: [{ text: `the SDK imports the player only with import() (from ${args.importer})` }] };
      return { path: './levelchat-player.js', external: true };
    });
  },
};

/**
 * Builds dist/players when players/ (or the protocol it shares) changed since the last build.
 * Returns what it did, like the other set-up steps. `force` rebuilds anyway.
 */
export async function buildPlayers(root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), { force = false } = {}) {
  const stamp = join(root, 'dist', 'players', '.build-stamp');
  const sourcesAt = Math.max(...SOURCES.map((s) => newestMtime(join(root, s))));
  if (!force && existsSync(stamp) && existsSync(join(root, SDK_OUT)) && existsSync(join(root, PLAYER_OUT)) && statSync(stamp).mtimeMs >= sourcesAt) return 'dist/players up to date';

  const t0 = Date.now();
  await typecheck(root);
  const { build } = await import('esbuild');
  const common = {
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'silent',
    absWorkingDir: root,
  };
  const sdk = await build({
    ...common,
    entryPoints: [join(root, 'players', 'web', 'index.ts')],
    outfile: join(root, SDK_OUT),
    plugins: [playerOnDemand, noNodeBuiltins],
    metafile: true,
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  await build({
    ...common,
    entryPoints: [join(root, 'players', 'player', 'index.ts')],
    outfile: join(root, PLAYER_OUT),
    plugins: [noNodeBuiltins],
    // hls.js without subtitles, alternate audio, EME and CMCD: LevelChat streams use none of them.
    alias: { 'hls.js': 'hls.js/light' },
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const demoDir = join(root, 'dist', 'players', 'demo');
  mkdirSync(demoDir, { recursive: true });
  await build({
    ...common,
    entryPoints: DEMO_ENTRIES.map((e) => join(root, 'players', 'demo', e)),
    outdir: demoDir,
    plugins: [sdkFromServer, noNodeBuiltins],
  });
  for (const file of readdirSync(join(root, 'players', 'demo'))) {
    if (/\.(html|css|svg|ico)$/.test(file)) copyFileSync(join(root, 'players', 'demo', file), join(demoDir, file));
  }
  writeFileSync(stamp, new Date().toISOString());
  const bytes = Object.values(sdk.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
  const playerBytes = statSync(join(root, PLAYER_OUT)).size;
  return `type-checked players/, bundled ${SDK_OUT} (${Math.round(bytes / 1024)} KB), ${PLAYER_OUT} (${Math.round(playerBytes / 1024)} KB) and the demo in ${Date.now() - t0} ms`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildPlayers(undefined, { force: process.argv.includes('--force') }).then(
    (what) => console.log(what),
    (err) => {
      console.error(err.message ?? err);
      process.exit(1);
    },
  );
}
