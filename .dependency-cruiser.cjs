// The layers of LevelChat, bottom to top (README "Layout", ../shared/docs/DESIGN.md). A module may
// import its own layer or any layer below it, never one above, and no import may close a circle.
// Checked by test/unit/architecture/layers.test.ts in `npm test`; `npx depcruise --config
// .dependency-cruiser.cjs common src storage pipeline players sdk bench` prints the same.
const LAYERS = [
  { name: 'common', path: '^common/' },
  { name: 'storage', path: '^storage/' },
  { name: 'pipeline', path: '^pipeline/' },
  { name: 'domain (rooms, auth, events)', path: '^src/(rooms|auth|events)/' },
  { name: 'services (sfu, cluster, hls, webhooks, program)', path: '^src/(sfu|cluster|hls|webhooks|program)/' },
  { name: 'config', path: '^src/config\\.ts$' },
  { name: 'signaling', path: '^src/signaling/' },
  { name: 'ingest (RTMP/SRT encoders)', path: '^src/ingest/' },
  { name: 'api', path: '^src/api/' },
  { name: 'runtime (composition root)', path: '^src/runtime/' },
  { name: 'entry points', path: '^src/(main|server)\\.ts$' },
  { name: 'browser: shared', path: '^players/shared/' },
  { name: 'browser: player', path: '^players/player/' },
  { name: 'browser: web SDK', path: '^players/web/' },
  { name: 'browser: demo', path: '^players/demo/' },
  { name: 'node SDK', path: '^sdk/' },
  { name: 'bench', path: '^bench/' },
];

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer: ${layer.name}`,
  comment: `${layer.name} may not import a layer above it`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: LAYERS.slice(i + 1).map((above) => above.path) },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-circular',
      comment: 'modules may not depend on each other in a circle',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-tests-in-source',
      comment: 'only tests import test helpers',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
