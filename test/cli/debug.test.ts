/**
 * `--debug` (before or after the command's name) reports start-up on standard error, the
 * command's output unchanged; without it, standard error stays empty.
 */
import { describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.js';

const DEBUG_LINES = /^vigil debug: start \{"node":"v\d+\.\d+\.\d+","uptimeMs":\d+\}\nvigil debug: commands loaded \{"commands":\["version"\],"ms":\d+\}\n$/;

describe('--debug', () => {
  it.each([
    ['before the command', ['--debug', 'version', 'compare', 'npm', '1.0.0', '2.0.0']],
    ['after the command', ['version', 'compare', '--debug', 'npm', '1.0.0', '2.0.0']],
  ])('%s reports the start and the commands loaded', async (_where, args) => {
    const res = await runVigil(args);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('<\n');
    expect(res.stderr).toMatch(DEBUG_LINES);
  });

  it('is silent without the flag', async () => {
    expect(await runVigil(['version', 'compare', 'npm', '1.0.0', '2.0.0'])).toEqual({ code: 0, stdout: '<\n', stderr: '' });
  });
});
