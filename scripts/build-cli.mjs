/**
 * Bundles the CLI into dist/bundle/ (`npm run build`): one entry file (and the matching
 * worker's) plus one chunk per lazily loaded command, so that starting `vigil` resolves a handful
 * of files instead of hundreds of modules across node_modules. Packages with native addons or
 * optional plugins stay external and load from node_modules as before.
 *
 * The chunks sit beside the entry, two levels under the project root like src/server/app.ts,
 * so paths it resolves from import.meta.url (the dashboard's web/dist) stay right.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * zod re-exports every locale (`z.locales`, ~370 kB of messages in 40 languages) from its
 * namespace, which the bundler cannot tree-shake, so each command that validates anything
 * would parse them all at start-up. Vigil's messages are English (zod's default, which its
 * schemas register themselves), so its locale index is replaced by English alone; the build
 * fails if zod stops importing the index the way this expects.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    let replaced = 0;
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[/\\]node_modules[/\\]zod[/\\]v4[/\\](classic|core)[/\\]/.test(args.importer)) return undefined;
      replaced++;
      return { path: args.importer, namespace: 'zod-english-only' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js';",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
    b.onEnd((result) => {
      if (result.errors.length === 0 && replaced === 0) {
        result.errors.push({ text: "zod-english-only: zod's locale index was never imported; check this plugin against the installed zod" });
      }
    });
  },
};

// Chunk names carry content hashes: without this, every build would leave the last one's behind.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  // The matching worker thread of re-evaluation is its own entry: src/jobs/match-thread.ts starts
  // it from beside the chunk it is bundled into.
  entryPoints: { main: 'src/cli/main.ts', 'match-worker': 'src/jobs/match-worker.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  chunkNames: '[name]-[hash]',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [zodEnglishOnly],
  external: [
    // Native addons (better-sqlite3, ssh2's crypto binding) and optional plugins that may be absent.
    'better-sqlite3',
    'ssh2',
    'pg-native',
    'xmlbuilder2',
    'libxmljs2',
    // Packages that find their own files through __dirname at run time (pino's worker threads,
    // CycloneDX's JSON schemas, @fastify/swagger's package.json): bundled, they would look beside the bundle.
    'pino',
    '@cyclonedx/cyclonedx-library',
    '@fastify/swagger',
    // Finds its browser-protocol files and drivers beside its own package.
    'playwright-core',
  ],
  // Bundled CommonJS packages call require(); ESM output has none unless it is made.
  banner: { js: "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);" },
});
