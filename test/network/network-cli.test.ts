import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/network/analyze.js';
import { importAws } from '../../src/network/aws/import.js';
import { runVigil } from '../helpers/cli.js';

const fixtures = join(import.meta.dirname, 'fixtures');

describe('vigil network analyze', () => {
  it('prints a table of a YAML topology', async () => {
    const r = await runVigil(['network', 'analyze', join(fixtures, 'yaml/lab')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual([
      'RESOURCE  PROTOCOL  PORTS  FROM THE INTERNET AT  LISTENING    PATH',
      'nas       tcp       22     203.0.113.1:2222      22/tcp sshd  router → home-routes → nas/firewall → nas/eth0',
      'nas       udp       51820  203.0.113.1:51820     51820/udp    router → home-routes → nas/firewall → nas/eth0',
    ]);
  });

  it('prints the exposures of an AWS snapshot as JSON', async () => {
    const dir = join(fixtures, 'aws/vpc-mixed');
    const r = await runVigil(['network', 'analyze', dir, '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual(JSON.parse(JSON.stringify(analyze(importAws(dir)))));
    expect(Object.keys(out.exposures[0])).toEqual(['resourceId', 'protocol', 'openPortRange', 'networkPath', 'interfaceId', 'publicAddresses', 'publicPortRange']);
  });

  it('exits 2 with one line naming what is wrong', async () => {
    for (const [args, message] of [
      [['network', 'analyze', join(fixtures, 'nowhere')], `vigil: ${join(fixtures, 'nowhere')}: no such directory\n`],
      [['network', 'analyze', fixtures], `vigil: ${fixtures}: no topology: expected AWS CLI outputs (describe-instances.json, …) or YAML files (*.yaml)\n`],
      [['network', 'analyze', join(fixtures, 'yaml/lab'), '--format', 'xml'], 'vigil: --format must be table or json, not "xml"\n'],
    ] as const) {
      const r = await runVigil([...args]);
      expect([r.code, r.stderr]).toEqual([2, message]);
    }
  });
});
