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
import { readFile } from 'node:fs/promises';
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

/**
 * A plugin that replaces one line of a package's file as it is bundled, to keep work out of
 * start-up; the build fails if the line is no longer there (check the plugin against the
 * installed version then).
 */
function replaceLine(name, file, line, replacement) {
  return {
    name,
    setup(b) {
      let replaced = 0;
      b.onLoad({ filter: file }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes(line)) return undefined;
        replaced++;
        return { contents: source.replace(line, replacement), loader: 'js' };
      });
      b.onEnd((result) => {
        if (result.errors.length === 0 && replaced === 0) {
          result.errors.push({ text: `${name}: no longer finds "${line}"; check this plugin against the installed package` });
        }
      });
    },
  };
}

/**
 * packageurl-js creates an `Intl.Collator` as it loads (a few milliseconds of ICU collation data
 * at every start of a scan) only to sort its eight component names once, by their sort orders
 * 0 to 7. Single digits collate as their numbers order, so those are compared as numbers and the
 * collator is created when something else is compared.
 */
const purlLazyCollator = replaceLine(
  'purl-lazy-collator',
  /[/\\]node_modules[/\\]packageurl-js[/\\]src[/\\]strings\.js$/,
  'const { compare: localeCompare } = new Intl.Collator()',
  [
    'let collator',
    'const isDigit = (v) => Number.isInteger(v) && v >= 0 && v <= 9',
    'function localeCompare(a, b) {',
    '    if (isDigit(a) && isDigit(b)) return Math.sign(a - b)',
    '    collator ??= new Intl.Collator()',
    '    return collator.compare(a, b)',
    '}',
  ].join('\n'),
);

/**
 * commander loads `child_process` as it loads (and with it Node's network modules, a few
 * milliseconds) for executable subcommands, which Vigil does not use: it is loaded when one spawns.
 */
const commanderLazyChildProcess = replaceLine(
  'commander-lazy-child-process',
  /[/\\]node_modules[/\\]commander[/\\]lib[/\\]command\.js$/,
  "const childProcess = require('node:child_process');",
  "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
);

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
  plugins: [zodEnglishOnly, purlLazyCollator, commanderLazyChildProcess],
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
