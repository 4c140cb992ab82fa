/**
 * Bundles the CLI into dist/bundle/ (`npm run build`): one entry file plus one chunk per lazily
 * loaded command, so that starting `vigil` resolves a handful of files instead of hundreds of
 * modules across node_modules. Packages with native addons or optional plugins stay external
 * and load from node_modules as before.
 *
 * The chunks sit beside the entry, two levels under the project root like src/server/app.ts,
 * so paths it resolves from import.meta.url (the dashboard's web/dist) stay right.
 */
import { build } from 'esbuild';

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  chunkNames: '[name]-[hash]',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
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
