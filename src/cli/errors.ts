/** An error the CLI reports as one line on stderr, with a chosen exit code (2 by default). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
