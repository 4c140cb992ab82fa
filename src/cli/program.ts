import { Command, CommanderError } from 'commander';
import type * as Diagnostics from '../debug.js';
import { commands } from './commands.js';
import { CliError } from './errors.js';
import { writeWholeOutput } from './output.js';

/** Options of the program itself, which need no command loaded to act on. */
const VERSION_FLAGS = new Set(['-V', '--version']);

/** The full name of a command, e.g. `vigil db update`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Makes every command report a usage error (unknown option, missing argument) as commander's
 * one-line message plus a hint naming its help, and throw instead of exiting, so that
 * {@link runCli} exits 2: a typo in a pipeline must not read as "--fail-on met" (exit 1) nor
 * drown the log in the whole help text. Commander copies these settings only to commands
 * created after they are set, so each command gets them here.
 */
function configureUsageErrors(cmd: Command): void {
  cmd.exitOverride().showHelpAfterError(`Try '${commandPath(cmd)} --help'.`);
  for (const sub of cmd.commands) configureUsageErrors(sub);
}

/**
 * Which commands to load for `argv`: only the one named on the command line; none for a bare
 * `--version`, which commander answers alone; all of them for help and anything unrecognised,
 * so commander can list them or suggest one.
 */
function commandsFor(argv: readonly string[]): typeof commands {
  const args = argv.slice(2);
  const named = args.find((arg) => !arg.startsWith('-'));
  if (named === undefined && args.some((arg) => VERSION_FLAGS.has(arg))) return [];
  const wanted = commands.filter((entry) => entry.name === named);
  return wanted.length > 0 ? wanted : commands;
}

/**
 * The `--debug` diagnostics module when they are on (`--debug`, or `VIGIL_DEBUG=1`, which it
 * reads itself), else undefined: the commands that report something load it themselves, so the
 * others start one module lighter.
 */
async function diagnostics(argv: readonly string[]): Promise<typeof Diagnostics | undefined> {
  // A global option, so it is accepted before or after the command's name.
  const flag = argv.slice(2).includes('--debug');
  if (!flag && process.env.VIGIL_DEBUG !== '1') return undefined;
  const loaded = await import('../debug.js');
  if (flag) loaded.setDebug(true);
  return loaded;
}

/** Builds the `vigil` program, loading only the commands `argv` needs (see {@link commandsFor}). */
export async function buildProgram(argv: readonly string[] = [], diag?: typeof Diagnostics): Promise<Command> {
  const program = new Command('vigil')
    .description('Vigil: find, rank and track known vulnerabilities in hosts, images and code')
    .version('0.1.0')
    .option('--debug', 'print diagnostics to standard error (commands loaded, inflaters chosen, timings)')
    // Help and --version are all a process prints (commands created below inherit this).
    .configureOutput({ writeOut: (text) => writeWholeOutput(text) });
  // The clock is read only with --debug: Node loads its performance API on first use.
  const started = diag?.debugEnabled() ? performance.now() : 0;
  const wanted = commandsFor(argv);
  for (const entry of wanted) (await entry.load())(program);
  if (diag?.debugEnabled()) diag.debug('commands loaded', { commands: wanted.map((entry) => entry.name), ms: Math.round(performance.now() - started) });
  configureUsageErrors(program);
  return program;
}

/**
 * Runs the CLI and turns errors into exit codes: 0 success, 1 only for `--fail-on` met (set by
 * the command through `process.exitCode`), 2 for usage errors and every other error.
 */
export async function runCli(argv: string[]): Promise<number> {
  // Read before the program is built, so that loading the commands can be reported too.
  const diag = await diagnostics(argv);
  if (diag?.debugEnabled()) diag.debug('start', { node: process.version, uptimeMs: Math.round(performance.now()) });
  try {
    const program = await buildProgram(argv, diag);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    // Commander has already printed its message (and our hint); help and --version exit 0.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vigil: ${message}\n`);
    return err instanceof CliError ? err.exitCode : 2;
  }
}
