import { Command, CommanderError } from 'commander';
import { commands } from './commands.js';
import { CliError } from './errors.js';

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
 * Builds the `vigil` program. Only the command named on the command line is loaded; help,
 * and anything unrecognised, loads them all so commander can list them or suggest one.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('vigil').description('Vigil: find, rank and track known vulnerabilities in hosts, images and code').version('0.1.0');
  const named = argv.slice(2).find((arg) => !arg.startsWith('-'));
  const wanted = commands.filter((entry) => entry.name === named);
  for (const entry of wanted.length > 0 ? wanted : commands) (await entry.load())(program);
  configureUsageErrors(program);
  return program;
}

/**
 * Runs the CLI and turns errors into exit codes: 0 success, 1 only for `--fail-on` met (set by
 * the command through `process.exitCode`), 2 for usage errors and every other error.
 */
export async function runCli(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
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
