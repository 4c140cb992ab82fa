import { describe, expect, it } from 'vitest';
import { selectBaseCvss } from '../../src/scoring/base.js';
import { compareByRisk, scoreFinding } from '../../src/scoring/context.js';

const V31_CRIT = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; // 9.8
const V31_MED = 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N'; // 5.9
const V31_LOCAL = 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H'; // 7.8
const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'; // 9.3
const V2 = 'AV:N/AC:L/Au:N/C:P/I:P/A:P'; // 7.5

describe('selectBaseCvss', () => {
  const cases = [
    {
      name: 'distro package: the vendor vector wins over NVD',
      distro: true,
      candidates: [{ vector: V31_CRIT, source: 'nvd' as const }, { vector: V31_MED, source: 'vendor' as const }],
      want: 'vendor:3.1',
    },
    {
      name: 'language package: a vendor vector is not special',
      distro: false,
      candidates: [{ vector: V31_MED, source: 'vendor' as const }, { vector: V31_CRIT, source: 'nvd' as const }],
      want: 'nvd:3.1',
    },
    {
      name: 'NVD v3.1 before CISA-ADP v3.1',
      distro: false,
      candidates: [{ vector: V31_MED, source: 'cisa-adp' as const }, { vector: V31_CRIT, source: 'nvd' as const }],
      want: 'nvd:3.1',
    },
    {
      name: 'CISA-ADP v3.1 before a GHSA v3.1 and before v4.0',
      distro: false,
      candidates: [{ vector: V40, source: 'cna' as const }, { vector: V31_CRIT, source: 'ghsa' as const }, { vector: V31_MED, source: 'cisa-adp' as const }],
      want: 'cisa-adp:3.1',
    },
    {
      name: 'v3.x from any source before v4.0',
      distro: false,
      candidates: [{ vector: V40, source: 'nvd' as const }, { vector: V31_CRIT.replace('3.1', '3.0'), source: 'nvd' as const }],
      want: 'nvd:3.0',
    },
    {
      name: 'v4.0 before v2',
      distro: false,
      candidates: [{ vector: V2, source: 'nvd' as const }, { vector: V40, source: 'cna' as const }],
      want: 'cna:4.0',
    },
    { name: 'v2 alone', distro: false, candidates: [{ vector: V2, source: 'nvd' as const }], want: 'nvd:2.0' },
    {
      name: 'an unscorable vector is skipped and reported',
      distro: true,
      candidates: [{ vector: 'CVSS:3.1/AV:N', source: 'vendor' as const }, { vector: V2, source: 'nvd' as const }],
      want: 'nvd:2.0',
      rejected: 1,
    },
  ];
  it.each(cases)('$name', ({ candidates, distro, want, rejected }) => {
    const result = selectBaseCvss(candidates, { distroPackage: distro });
    expect(result.base?.scoreSource).toBe(want);
    expect(result.rejected).toHaveLength(rejected ?? 0);
  });
});

describe('scoreFinding', () => {
  it('keeps the base score with no context', () => {
    const out = scoreFinding({ cvss: [{ vector: V31_CRIT, source: 'nvd' }], distroPackage: false }, {});
    expect(out).toEqual({
      score: 9.8,
      severity: 'CRITICAL',
      scoreSource: 'nvd:3.1',
      scoreReason: 'base 9.8 from NVD CVSS v3.1',
      cvss: { version: '3.1', vector: V31_CRIT, baseScore: 9.8, source: 'nvd' },
      adjustments: [],
      rejected: [],
    });
  });

  it('turns a network vector adjacent when the target is not internet-reachable', () => {
    const out = scoreFinding({ cvss: [{ vector: V31_CRIT, source: 'nvd' }], distroPackage: false, epss: { cveId: 'CVE-1', score: 0.5, percentile: 0.9 } }, { internetReachable: false });
    expect(out.score).toBe(8.8);
    expect(out.severity).toBe('HIGH');
    expect(out.cvss?.baseScore).toBe(9.8);
    expect(out.epss).toEqual({ score: 0.5, percentile: 0.9 });
    expect(out.adjustments).toEqual([
      { metric: 'AV', from: 'N', to: 'A', reason: expect.stringContaining('not reachable from the internet') },
      { metric: 'score', from: 9.8, to: 8.8, reason: 'recomputed as CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
    ]);
  });

  it('names the computed reachability in the reason: why nothing reaches the host, or the path that does', () => {
    const why = 'instance i-0db has no public address, and no port forward or internet-facing load balancer leads to it';
    const down = scoreFinding({ cvss: [{ vector: V31_CRIT, source: 'nvd' }], distroPackage: false }, { internetReachable: false, reachabilityReason: why });
    expect(down.score).toBe(8.8);
    expect(down.adjustments[0]).toEqual({ metric: 'AV', from: 'N', to: 'A', reason: `target is not reachable from the internet (${why}): a network attack vector needs an adjacent attacker` });
    const path = 'reachable from the internet as i-0web: 22/tcp through igw-1 → rtb-pub → acl-pub → sg-web → eni-1';
    const kept = scoreFinding({ cvss: [{ vector: V31_CRIT, source: 'nvd' }], distroPackage: false }, { internetReachable: true, reachabilityReason: path });
    expect(kept.score).toBe(9.8);
    expect(kept.adjustments).toEqual([{ metric: 'AV', from: 'N', to: 'N', reason: `network attack vector kept: target is ${path}` }]);
    // A typed context (the CLI's --context) has no reason and adds nothing when reachable.
    expect(scoreFinding({ cvss: [{ vector: V31_CRIT, source: 'nvd' }], distroPackage: false }, { internetReachable: true }).adjustments).toEqual([]);
    // A local vector is not about the network: nothing to say.
    expect(scoreFinding({ cvss: [{ vector: V31_LOCAL, source: 'nvd' }], distroPackage: false }, { internetReachable: true, reachabilityReason: path }).adjustments).toEqual([]);
  });

  it('leaves local vectors alone when not internet-reachable', () => {
    const out = scoreFinding({ cvss: [{ vector: V31_LOCAL, source: 'nvd' }], distroPackage: false }, { internetReachable: false });
    expect(out.score).toBe(7.8);
    expect(out.adjustments).toEqual([]);
  });

  it('never scores a KEV vulnerability down, and flags it', () => {
    const out = scoreFinding(
      {
        cvss: [{ vector: V31_CRIT, source: 'nvd' }],
        distroPackage: false,
        kev: { cveId: 'CVE-2021-44228', dateAdded: '2021-12-10', dueDate: '2021-12-24', knownRansomwareCampaignUse: 'Known' },
      },
      { internetReachable: false },
    );
    expect(out.score).toBe(9.8);
    expect(out.severity).toBe('CRITICAL');
    expect(out.kev).toEqual({ dateAdded: '2021-12-10', dueDate: '2021-12-24', knownRansomwareCampaignUse: 'Known' });
    expect(out.adjustments).toEqual([{ metric: 'AV', from: 'N', to: 'N', reason: expect.stringContaining('CISA KEV') }]);
  });

  it('falls back to the vendor word, naming who said it, then UNTRIAGED', () => {
    const ghsa = { rating: 'MODERATE', source: 'GitHub (GHSA) severity' };
    expect(scoreFinding({ cvss: [], distroPackage: false, vendorSeverity: ghsa }, {})).toMatchObject({
      score: 0,
      severity: 'MEDIUM',
      scoreSource: 'vendor-severity',
      vendorSeverity: ghsa,
      scoreReason: 'severity MEDIUM from GitHub (GHSA) severity "MODERATE" (no CVSS published)',
    });
    const ubuntu = { rating: 'high', source: 'Ubuntu priority' };
    expect(scoreFinding({ cvss: [{ vector: 'CVSS:3.1/AV:N', source: 'vendor' }], distroPackage: true, vendorSeverity: ubuntu }, {})).toMatchObject({
      severity: 'HIGH',
      scoreReason: 'severity HIGH from Ubuntu priority "high" (no CVSS vector that scores: 1 rejected)',
      rejected: [expect.objectContaining({ source: 'vendor' })],
    });
    const none = scoreFinding({ cvss: [], distroPackage: false }, {});
    expect(none).toMatchObject({ score: 0, severity: 'UNTRIAGED', scoreSource: 'none', scoreReason: 'untriaged: no CVSS published and no vendor severity in any source' });
    expect(none.vendorSeverity).toBeUndefined();
    const unknownWord = scoreFinding({ cvss: [], distroPackage: false, vendorSeverity: { rating: 'not yet assigned', source: 'Debian security tracker urgency' } }, {});
    expect(unknownWord).toMatchObject({ severity: 'UNTRIAGED', scoreSource: 'none' });
    expect(unknownWord.vendorSeverity).toBeUndefined();
  });

  it('says which vector the base came from and why', () => {
    const reason = (cvss: Parameters<typeof scoreFinding>[0]['cvss'], distro: boolean): string =>
      scoreFinding({ cvss, distroPackage: distro, ...(distro ? { vendorName: 'Debian' } : {}) }, {}).scoreReason;
    expect(reason([{ vector: V2, source: 'nvd' }, { vector: V31_MED, source: 'vendor' }], true)).toBe("base 5.9 from Debian CVSS v3.1 (the distribution's own vector comes first)");
    expect(reason([{ vector: V31_CRIT, source: 'nvd' }], true)).toBe('base 9.8 from NVD CVSS v3.1 (no vendor vector)');
    expect(reason([{ vector: V31_MED, source: 'cisa-adp' }, { vector: V40, source: 'cna' }], true)).toBe('base 5.9 from CISA-ADP (vulnrichment) CVSS v3.1 (no vendor vector; v3.1 preferred to v4.0)');
    expect(reason([{ vector: V31_CRIT, source: 'nvd' }, { vector: V31_MED, source: 'ghsa' }], false)).toBe('base 9.8 from NVD CVSS v3.1 (preferred to GitHub (GHSA))');
    expect(reason([{ vector: V31_CRIT, source: 'ghsa' }], false)).toBe('base 9.8 from GitHub (GHSA) CVSS v3.1 (no NVD or CISA-ADP v3.1 vector)');
    expect(reason([{ vector: V40, source: 'cna' }, { vector: V2, source: 'nvd' }], false)).toBe('base 9.3 from the CNA CVSS v4.0 (no CVSS v3 vector)');
    expect(reason([{ vector: V2, source: 'nvd' }], true)).toBe('base 7.5 from NVD CVSS v2 (no vendor vector; no CVSS v3 or v4.0 vector)');
  });

  it('scores 0.0 as INFORMATIONAL', () => {
    const out = scoreFinding({ cvss: [{ vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N', source: 'nvd' }], distroPackage: false }, {});
    expect(out.severity).toBe('INFORMATIONAL');
  });
});

describe('compareByRisk', () => {
  it('orders by severity, score, KEV, EPSS', () => {
    const items = [
      { id: 'untriaged', severity: 'UNTRIAGED' as const, score: 0 },
      { id: 'high-epss', severity: 'HIGH' as const, score: 7.5, epss: { score: 0.9 } },
      { id: 'crit', severity: 'CRITICAL' as const, score: 9.1 },
      { id: 'high-kev', severity: 'HIGH' as const, score: 7.5, kev: {} },
      { id: 'high-top', severity: 'HIGH' as const, score: 8.8 },
      { id: 'low', severity: 'LOW' as const, score: 2 },
    ];
    expect(items.sort(compareByRisk).map((i) => i.id)).toEqual(['crit', 'high-top', 'high-kev', 'high-epss', 'low', 'untriaged']);
  });
});
