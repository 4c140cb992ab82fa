import { Command, CommanderError } from 'commander';
import { commands } from './commands.js';
import { CliError } from './errors.js';

/** Builds the `vigil` program; every command comes from the registry in `commands.ts`. */
export function buildProgram(): Command {
  const program = new Command('vigil')
    .description('Vigil: find, rank and track known vulnerabilities in hosts, images and code')
    .version('0.1.0')
    .showHelpAfterError();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI and turns errors into exit codes: 2 for errors, as CI tools expect. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vigil: ${message}\n`);
    return err instanceof CliError ? err.exitCode : 2;
  }
}

