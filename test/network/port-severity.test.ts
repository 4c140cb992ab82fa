import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECOGNISED_PORTS, severityOfRange } from '../../src/network/port-severity.js';

const rate = (protocol: 'tcp' | 'udp' | 'all', begin: number, end = begin) => {
  const r = severityOfRange(protocol, { begin, end });
  return `${r.severity} ${r.services.map((s) => s.service).join(',')}${r.unrecognisedPorts ? ' +unrecognised' : ''}`;
};

describe('port severity table', () => {
  it.each([
    ['tcp', 22, 22, 'HIGH SSH'],
    ['tcp', 23, 23, 'HIGH Telnet'],
    ['tcp', 3389, 3389, 'HIGH RDP'],
    ['tcp', 5901, 5901, 'HIGH VNC'],
    ['tcp', 5432, 5432, 'HIGH PostgreSQL'],
    ['tcp', 6379, 6379, 'HIGH Redis'],
    ['tcp', 9092, 9092, 'HIGH Kafka'],
    ['tcp', 2375, 2375, 'CRITICAL Docker API (plain text)'],
    ['tcp', 6443, 6443, 'HIGH Kubernetes API'],
    ['tcp', 443, 443, 'INFORMATIONAL HTTPS'],
    ['tcp', 8080, 8080, 'LOW HTTP (alternate)'],
    ['udp', 51820, 51820, 'INFORMATIONAL WireGuard'],
    // SSH is TCP: UDP 22 is nobody we know.
    ['udp', 22, 22, 'MEDIUM  +unrecognised'],
    ['tcp', 31337, 31337, 'MEDIUM  +unrecognised'],
    // A range rates as its worst port; unrecognised ports count as MEDIUM.
    ['tcp', 8080, 8081, 'MEDIUM HTTP (alternate) +unrecognised'],
    ['tcp', 20, 23, 'HIGH SSH,Telnet,FTP +unrecognised'],
    ['tcp', 80, 80, 'INFORMATIONAL HTTP'],
    ['all', 53, 53, 'LOW DNS,DNS'],
    ['all', 0, 65535, expect.stringMatching(/^CRITICAL Docker API \(plain text\),SSH,/)],
  ] as const)('%s %i-%i', (protocol, begin, end, expected) => {
    expect(rate(protocol, begin, end)).toEqual(expected);
  });

  it('holds well-formed entries, each port of a protocol listed once', () => {
    const seen = new Set<string>();
    for (const p of RECOGNISED_PORTS) {
      const [begin, end] = typeof p.ports === 'number' ? [p.ports, p.ports] : p.ports;
      expect(begin <= end && begin >= 0 && end <= 65535, p.service).toBe(true);
      for (let port = begin; port <= end; port++) {
        const key = `${p.protocol}/${port}`;
        expect(seen.has(key), `${key} listed twice`).toBe(false);
        seen.add(key);
      }
    }
  });
});

describe('docs/network.md', () => {
  it('prints the table as it is in the code', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/network.md'), 'utf8');
    const rows = RECOGNISED_PORTS.map((p) => `| ${p.protocol}/${typeof p.ports === 'number' ? p.ports : p.ports.join('-')} | ${p.service} | ${p.category} | ${p.severity} |`);
    expect(doc.slice(doc.indexOf('| port | service | category | severity |')).trim().split('\n').slice(2)).toEqual(rows);
  });
});
