import { describe, expect, it } from 'vitest';
import { firewallModel, nftToFirewall } from '../../src/network/host/firewall.js';
import { isListening, parseProcNet } from '../../src/network/host/sockets.js';

describe('/proc/net sockets', () => {
  it('decodes addresses and ports, and tells listening sockets apart', () => {
    const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1255 1 00000000a6ccb89e 100 0 0 10 0
   1: 0100007F:88A5 0100007F:CF84 01 00000000:00000000 03:0000105A 00000000     0        0 4321 3 000000006d80e82e
   2: 0A01000A:1F90 020013C6:A1B2 06 00000000:00000000 03:00001234 00000000     0        0 0 3 0000000000000000
`;
    const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
   1: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 778 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000A01000A:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 779 1 0000000000000000 100 0 0 10 0
`;
    const udp = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 2872: 00000000:1388 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 231466 2 00000000690e5e3e 0
 2873: 0A01000A:D431 08080808:0035 01 00000000:00000000 00:00000000 00000000     0        0 231467 2 00000000690e5e3e 0
`;
    const all = [...parseProcNet(tcp, 'tcp'), ...parseProcNet(tcp6, 'tcp'), ...parseProcNet(udp, 'udp')];
    expect(all.map((s) => `${s.protocol} ${s.address}:${s.port} ${s.inode} ${isListening(s) ? 'listening' : 'not'}`)).toEqual([
      'tcp 0.0.0.0:22 1255 listening',
      'tcp 127.0.0.1:34981 4321 not',
      'tcp 10.0.1.10:8080 0 not',
      'tcp :::80 777 listening',
      'tcp 2001:db8::1:443 778 listening',
      'tcp 10.0.1.10:22 779 listening',
      'udp 0.0.0.0:5000 231466 listening',
      'udp 10.0.1.10:54321 231467 not',
    ]);
  });
});

describe('nftables input chains', () => {
  const doc = (rules: unknown[][], policy = 'drop', family = 'inet') => ({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family, name: 't', handle: 1 } },
      { chain: { family, table: 't', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy } },
      { chain: { family, table: 't', name: 'other', handle: 2 } },
      ...rules.map((expr, i) => ({ rule: { family, table: 't', chain: 'input', handle: 10 + i, expr } })),
    ],
  });
  const dport = (protocol: string, right: unknown) => ({ match: { op: '==', left: { payload: { protocol, field: 'dport' } }, right } });
  const show = (d: unknown) => {
    const { firewall, warnings } = nftToFirewall(d, 'h/fw');
    return { chains: firewall?.chains.map((c) => [c.defaultAction, ...c.rules.map((r) => `${r.number} ${typeof r.protocol === 'string' ? r.protocol : r.protocol.number} ${r.ports.begin}-${r.ports.end} ${r.block.text} ${r.action}`)]), warnings };
  };

  it('reads ports, ranges, sets, source prefixes and verdicts, and skips what no new connection matches', () => {
    expect(
      show(
        doc([
          [{ match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } }, { accept: null }],
          [{ match: { op: '==', left: { meta: { key: 'iif' } }, right: 'lo' } }, { accept: null }],
          [dport('tcp', 22), { counter: { packets: 0, bytes: 0 } }, { accept: null }],
          [dport('tcp', { range: [8080, 8082] }), { accept: null }],
          [dport('udp', { set: [53, 5353] }), { drop: null }],
          [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.0.0.0', len: 16 } } } }, dport('tcp', 9200), { accept: null }],
          [{ counter: null }],
        ]),
      ),
    ).toEqual({
      chains: [['deny', '1 tcp 22-22 0.0.0.0/0 allow', '2 tcp 22-22 ::/0 allow', '3 tcp 8080-8082 0.0.0.0/0 allow', '4 tcp 8080-8082 ::/0 allow', '5 udp 53-53 0.0.0.0/0 deny', '6 udp 53-53 ::/0 deny', '7 udp 5353-5353 0.0.0.0/0 deny', '8 udp 5353-5353 ::/0 deny', '9 tcp 9200-9200 10.0.0.0/16 allow']],
      warnings: [],
    });
  });

  it('never closes what it cannot read: unknown accepts widen, unknown drops are skipped, each with a warning', () => {
    const odd = { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth1' } };
    const out = show(doc([[odd, dport('tcp', 23), { drop: null }], [odd, dport('tcp', 25), { accept: null }], [dport('tcp', 80), { jump: { target: 'other' } }]], 'drop', 'ip'));
    expect(out.chains).toEqual([['deny', '1 tcp 25-25 0.0.0.0/0 allow', '2 tcp 80-80 0.0.0.0/0 allow', '3 all 0-65535 ::/0 allow']]);
    expect(out.warnings).toHaveLength(3);
    expect(out.warnings[0]).toMatch(/^nftables ip t input: drop rule skipped for .*eth1/);
  });

  it('has nothing to apply without an input chain, or from iptables text', () => {
    expect(nftToFirewall({ nftables: [{ metainfo: {} }] }, 'x')).toEqual({ warnings: [] });
    expect(firewallModel({ tool: 'iptables', raw: '*filter\n:INPUT DROP [0:0]\nCOMMIT\n' }, 'x')).toEqual({ warnings: ['iptables rules are collected as text but not modelled; the host firewall is not applied'] });
    expect(firewallModel({ tool: 'nftables', raw: '{' }, 'x').warnings[0]).toMatch(/^nft -j output is not JSON/);
  });
});
