// Builds the browser code into dist/players: the @levelchat/web SDK bundle (dist/players/sdk/
// levelchat-web.js, served at /sdk/), the LL-HLS player bundle (dist/players/sdk/levelchat-player.js:
// hls.js + createPlayer + <levelchat-player>; the SDK imports it on demand for its LL-HLS fallback)
// and the demo console (dist/players/demo/, served at /).
// Type-checks players/ with its own tsconfig (DOM types) first. Skipped when no file the last build
// read changed since (see upToDate). Called by scripts/setup after the TypeScript build; also
// runnable alone:
//   node scripts/setup/players.mjs [--force]
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SDK_OUT = 'dist/players/sdk/levelchat-web.js';
const SDK_URL = '/sdk/levelchat-web.js';
const PLAYER_OUT = 'dist/players/sdk/levelchat-player.js';
const PLAYER_URL = '/sdk/levelchat-player.js';
/** Demo scripts: each bundled alone, importing the SDK from /sdk/ at run time. */
const DEMO_ENTRIES = ['app.ts', 'harness.ts'];
/**
 * Inputs no bundle or type-check lists: the lock file (npm ci leaves old mtimes on the packages it
 * replaces), the compiler settings, this recipe, and the demo folder (a new page or style sheet).
 */
const BUILD_INPUTS = ['package-lock.json', 'tsconfig.json', 'players/tsconfig.json', 'scripts/setup/players.mjs', 'players/demo'];

/** Type-checks players/; resolves with every file the compiler read (type-only imports are never bundled). */
function typecheck(root) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'players/tsconfig.json', '--listFiles'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = out.split('\n').filter(Boolean);
      // --listFiles prints absolute paths; diagnostics are relative.
      const read = lines.filter((line) => isAbsolute(line));
      if (code === 0) resolvePromise(read.map((file) => relative(root, file)));
      else reject(new Error(`players/ does not type-check:\n${lines.filter((line) => !isAbsolute(line)).join('\n')}`));
    });
  });
}

/**
 * Whether the last build is current: its outputs exist and no file it read (as its stamp lists
 * them) changed, moved or vanished since it started.
 */
function upToDate(root, stamp) {
  if (![stamp, join(root, SDK_OUT), join(root, PLAYER_OUT)].every((file) => existsSync(file))) return false;
  let last;
  try {
    last = JSON.parse(readFileSync(stamp, 'utf8'));
  } catch {
    return false; // a stamp from before the inputs were recorded
  }
  if (!Array.isArray(last.inputs) || typeof last.startedAt !== 'number') return false;
  return last.inputs.every((input) => {
    const path = join(root, input);
    return existsSync(path) && statSync(path).mtimeMs <= last.startedAt;
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
 * Builds dist/players when a file the last build read changed (players/, the src/ modules they
 * import, packages). Returns what it did, like the other set-up steps. `force` rebuilds anyway.
 */
export async function buildPlayers(root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), { force = false } = {}) {
  const stamp = join(root, 'dist', 'players', '.build-stamp');
  if (!force && upToDate(root, stamp)) return 'dist/players up to date';

  const t0 = Date.now();
  const checked = await typecheck(root);
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
    // What each bundle read (paths relative to root): recorded in the stamp.
    metafile: true,
  };
  const sdk = await build({
    ...common,
    entryPoints: [join(root, 'players', 'web', 'index.ts')],
    outfile: join(root, SDK_OUT),
    plugins: [playerOnDemand, noNodeBuiltins],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const player = await build({
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
  const demo = await build({
    ...common,
    entryPoints: DEMO_ENTRIES.map((e) => join(root, 'players', 'demo', e)),
    outdir: demoDir,
    plugins: [sdkFromServer, noNodeBuiltins],
  });
  const pages = readdirSync(join(root, 'players', 'demo')).filter((file) => /\.(html|css|svg|ico)$/.test(file));
  for (const file of pages) copyFileSync(join(root, 'players', 'demo', file), join(demoDir, file));
  const bundled = [sdk, player, demo].flatMap((result) => Object.keys(result.metafile.inputs));
  const inputs = [...new Set([...checked, ...bundled, ...pages.map((file) => `players/demo/${file}`), ...BUILD_INPUTS])].sort();
  writeFileSync(stamp, `${JSON.stringify({ startedAt: t0, inputs }, null, 1)}\n`);
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
