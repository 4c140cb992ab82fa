import { describe, expect, it } from 'vitest';
import { InvalidCvssError, cvssMetric, cvssVersionOf, scoreCvss, tryScoreCvss, withCvssMetric } from '../../src/scoring/cvss.js';

// Reference scores from FIRST's calculators and NVD's published records.
const scored: { vector: string; version: string; base: number; note: string }[] = [
  { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', version: '3.1', base: 9.8, note: 'the classic 9.8' },
  { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', version: '3.1', base: 10, note: 'Log4Shell, NVD' },
  { vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', version: '3.1', base: 5.9, note: 'lodash-like high complexity' },
  { vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N', version: '3.1', base: 0, note: 'no impact scores 0' },
  { vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', version: '3.0', base: 9.8, note: 'v3.0' },
  { vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', version: '2.0', base: 7.5, note: 'v2 as NVD writes it' },
  { vector: '(AV:N/AC:L/Au:N/C:P/I:P/A:P)', version: '2.0', base: 7.5, note: 'v2 in parentheses' },
  { vector: 'CVSS:2.0/AV:N/AC:L/Au:N/C:C/I:C/A:C', version: '2.0', base: 10, note: 'v2 with a prefix' },
  { vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', version: '4.0', base: 9.3, note: 'v4.0' },
];

describe('scoreCvss', () => {
  it.each(scored)('$note: $vector → $base', ({ vector, version, base }) => {
    const result = scoreCvss(vector);
    expect(result.version).toBe(version);
    expect(result.baseScore).toBe(base);
    expect(cvssVersionOf(vector)).toBe(version);
  });

  const invalid = ['', 'garbage', 'CVSS:3.1/AV:N', 'CVSS:9.9/AV:N/AC:L', 'CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'AV:N/AC:L'];
  it.each(invalid)('rejects %j with an error naming it', (vector) => {
    expect(() => scoreCvss(vector)).toThrow(InvalidCvssError);
    expect(() => scoreCvss(vector)).toThrow(vector === '' ? /invalid CVSS vector ""/ : vector);
    expect(tryScoreCvss(vector)).toBeUndefined();
  });
});

describe('withCvssMetric', () => {
  const cases = [
    { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', to: 8.8, vectorTo: 'CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
    { vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', to: 8.8, vectorTo: 'CVSS:3.0/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
    { vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', to: 5.8, vectorTo: 'AV:A/AC:L/Au:N/C:P/I:P/A:P' },
    { vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', to: 8.7, vectorTo: 'CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
  ];
  it.each(cases)('AV:N → AV:A rescores $vector', ({ vector, to, vectorTo }) => {
    const result = withCvssMetric(vector, 'AV', 'A');
    expect(result.baseScore).toBe(to);
    expect(result.vector).toBe(vectorTo);
    expect(cvssMetric(result.vector, 'AV')).toBe('A');
  });

  it('reads metrics of every version', () => {
    expect(cvssMetric('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'AV')).toBe('N');
    expect(cvssMetric('(AV:L/AC:L/Au:N/C:P/I:P/A:P)', 'AV')).toBe('L');
    expect(cvssMetric('CVSS:3.1/AC:L', 'AV')).toBeUndefined();
  });
});
