import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { analyze, type Exposure } from '../../src/network/analyze.js';
import { awsProtocol, importAws } from '../../src/network/aws/import.js';

const fixture = join(import.meta.dirname, 'fixtures/aws/vpc-mixed');
const brief = (e: Exposure) =>
  `${e.resourceId} ${e.protocol} ${e.openPortRange.begin}-${e.openPortRange.end} (public ${e.publicPortRange.begin}) via ${e.networkPath.steps.map((s) => s.componentId.replace(/^arn:.*:loadbalancer\//, 'lb/')).join(',')}`;

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});
/** A copy of the fixture to break. */
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-aws-'));
  temps.push(dir);
  cpSync(fixture, dir, { recursive: true });
  return dir;
}

describe('AWS importer', () => {
  it('reads a VPC snapshot and finds exactly what the internet reaches', () => {
    const topology = importAws(fixture);
    const { exposures, warnings } = analyze(topology);
    expect(exposures.map(brief)).toEqual([
      // Behind the internet-facing ALB: the target's group admits the balancer's group.
      'i-app1 tcp 8080-8080 (public 443) via igw-1,rtb-pub,acl-pub,sg-alb,lb/app/web/1,acl-default,sg-app,eni-app1',
      // Behind the NLB (no groups of its own): the target's group must admit the client.
      'i-app2 tcp 9000-9000 (public 9000) via igw-1,rtb-pub,acl-pub,lb/net/tcp/1,acl-default,sg-app-nlb,eni-app2',
      // SSH only over IPv6 (its rule is ::/0), RDP from one internet range ("6"), telnet denied by NACL rule 90.
      'i-web tcp 22-22 (public 22) via igw-1,rtb-pub,acl-pub,sg-web,eni-web',
      'i-web tcp 80-443 (public 80) via igw-1,rtb-pub,acl-pub,sg-web,eni-web',
      'i-web tcp 3389-3389 (public 3389) via igw-1,rtb-pub,acl-pub,sg-web,eni-web',
      'i-web udp 1194-1194 (public 1194) via igw-1,rtb-pub,acl-pub,sg-web,eni-web',
    ]);
    // Not there: i-internal (no public address), i-stopped, i-natted (main table routes to NAT),
    // sg-db's 5432 (only from sg-web), the internal ALB, the ALB's redirect-only listener on 80.
    expect(exposures[2]!.publicAddresses).toEqual(['54.0.0.10', '2600:1f18:1:1::10']);
    expect(warnings).toEqual([]);
  });

  it('models what it read', () => {
    const t = importAws(fixture);
    expect(t.routeTables.map((r) => [r.id, r.main, r.subnetIds, r.routes.map((x) => `${x.destination.text}→${x.target.kind}:${x.target.id}`)])).toEqual([
      ['rtb-main', true, [], ['10.0.0.0/16→local:local', '0.0.0.0/0→nat-gateway:nat-1']],
      ['rtb-pub', false, ['subnet-pub'], ['10.0.0.0/16→local:local', '2600:1f18:1::/56→local:local', '0.0.0.0/0→internet-gateway:igw-1', '::/0→internet-gateway:igw-1']],
    ]);
    expect(t.acls.find((a) => a.id === 'acl-pub')!.inbound.map((r) => `${r.number} ${typeof r.protocol === 'string' ? r.protocol : r.protocol.number} ${r.ports.begin}-${r.ports.end} ${r.block.text} ${r.action}`)).toEqual([
      '100 tcp 0-65535 0.0.0.0/0 allow',
      '90 tcp 23-23 0.0.0.0/0 deny',
      '110 udp 1194-1194 0.0.0.0/0 allow',
      '120 all 0-65535 ::/0 allow',
      '32767 all 0-65535 0.0.0.0/0 deny',
      '32768 all 0-65535 ::/0 deny',
    ]);
    expect(t.instances.map((i) => `${i.id}:${i.state}`)).toEqual(['i-web:running', 'i-internal:running', 'i-stopped:stopped', 'i-natted:running', 'i-app1:running', 'i-app2:running']);
    expect(t.loadBalancers.map((l) => [l.internetFacing, l.preservesClientAddress, l.listeners.map((x) => `${x.protocol}/${x.port}→${x.targets.map((g) => `${g.instanceId}:${g.port}`).join(',')}`)])).toEqual([
      [true, false, ['tcp/443→i-app1:8080', 'tcp/80→']],
      [false, false, ['tcp/80→i-app1:8080']],
      [true, true, ['tcp/9000→i-app2:9000']],
    ]);
  });

  it('takes AWS protocol names and numbers', () => {
    expect(['-1', 'tcp', '6', 'udp', '17', 'icmp', '1', '58', 'TCP'].map(awsProtocol)).toEqual(['all', 'tcp', 'tcp', 'udp', 'udp', { number: 1 }, { number: 1 }, { number: 58 }, 'tcp']);
    expect(() => awsProtocol('gre')).toThrow('"gre"');
  });

  it('needs the required files and names the one missing; optional ones may be absent', () => {
    const dir = copy();
    for (const f of ['describe-nat-gateways.json', 'describe-load-balancers.json', 'describe-target-groups.json']) unlinkSync(join(dir, f));
    expect(analyze(importAws(dir)).exposures.map((e) => e.resourceId)).toEqual(['i-web', 'i-web', 'i-web', 'i-web']);
    unlinkSync(join(dir, 'describe-network-acls.json'));
    expect(() => importAws(dir)).toThrow(`describe-network-acls.json: required file missing from ${dir}`);
  });

  it('names the file and field of bad input', () => {
    const dir = copy();
    writeFileSync(join(dir, 'describe-subnets.json'), '{"Subnets": [');
    expect(() => importAws(dir)).toThrow(/^describe-subnets\.json: not JSON/);
    cpSync(join(fixture, 'describe-subnets.json'), join(dir, 'describe-subnets.json'));

    const groups = JSON.parse(readFileSync(join(fixture, 'describe-security-groups.json'), 'utf8'));
    groups.SecurityGroups[1].IpPermissions[0].IpProtocol = 6;
    writeFileSync(join(dir, 'describe-security-groups.json'), JSON.stringify(groups));
    expect(() => importAws(dir)).toThrow(/^describe-security-groups\.json: SecurityGroups\[1\]\.IpPermissions\[0\]\.IpProtocol: /);

    groups.SecurityGroups[1].IpPermissions[0].IpProtocol = 'tcp';
    groups.SecurityGroups[0].IpPermissions[0].IpRanges[0].CidrIp = '0.0.0.0/99';
    writeFileSync(join(dir, 'describe-security-groups.json'), JSON.stringify(groups));
    expect(() => importAws(dir)).toThrow('describe-security-groups.json: SecurityGroups[0].IpPermissions[0].IpRanges[0].CidrIp: not an IP address or CIDR block: "0.0.0.0/99"');
  });

  it('warns about what it cannot see: target groups without their targets, prefix lists', () => {
    const dir = copy();
    unlinkSync(join(dir, 'describe-target-health.tcp.json'));
    const groups = JSON.parse(readFileSync(join(fixture, 'describe-security-groups.json'), 'utf8'));
    groups.SecurityGroups[0].IpPermissions[0].PrefixListIds = [{ PrefixListId: 'pl-123' }];
    writeFileSync(join(dir, 'describe-security-groups.json'), JSON.stringify(groups));
    expect(analyze(importAws(dir)).warnings).toEqual([
      'security group sg-web: prefix list pl-123 is not expanded (describe-managed-prefix-lists is not read); its rule opens nothing here',
      'target group tcp: no describe-target-health.tcp.json; its targets are unknown',
    ]);
  });
});
