import { Command, CommanderError } from 'commander';
import { commands } from './commands.js';
import { CliError } from './errors.js';

/**
 * Builds the `vigil` program. Only the command named on the command line is loaded; help,
 * and anything unrecognised, loads them all so commander can list them or suggest one.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('vigil')
    .description('Vigil: find, rank and track known vulnerabilities in hosts, images and code')
    .version('0.1.0')
    .showHelpAfterError();
  const named = argv.slice(2).find((arg) => !arg.startsWith('-'));
  const wanted = commands.filter((entry) => entry.name === named);
  for (const entry of wanted.length > 0 ? wanted : commands) (await entry.load())(program);
  return program;
}

/** Runs the CLI and turns errors into exit codes: 2 for errors, as CI tools expect. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    const program = (await buildProgram(argv)).exitOverride();
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vigil: ${message}\n`);
    return err instanceof CliError ? err.exitCode : 2;
  }
}
