import { describe, expect, it } from 'vitest';
import { ALL_PORTS, formatRange, hasPort, intersect, parsePortRange, portSet, subtract, union } from '../../src/network/ports.js';

const r = (begin: number, end = begin) => ({ begin, end });

describe('port sets', () => {
  it('normalises overlapping and adjacent ranges in any order', () => {
    expect(portSet([r(10, 20), r(1, 2), r(3, 4), r(15, 30), r(40)])).toEqual([r(1, 4), r(10, 30), r(40)]);
  });

  it.each([
    // [a, b, a ∪ b, a ∩ b, a − b]
    [[r(1, 10)], [r(5, 15)], [r(1, 15)], [r(5, 10)], [r(1, 4)]],
    [[r(1, 10)], [r(3), r(5, 6)], [r(1, 10)], [r(3), r(5, 6)], [r(1, 2), r(4), r(7, 10)]],
    [[r(1, 2), r(8, 9)], [r(3, 7)], [r(1, 9)], [], [r(1, 2), r(8, 9)]],
    [ALL_PORTS, [r(0), r(65535)], ALL_PORTS, [r(0), r(65535)], [r(1, 65534)]],
    [[], [r(22)], [r(22)], [], []],
  ])('%j with %j', (a, b, u, i, s) => {
    expect(union(a, b)).toEqual(u);
    expect(intersect(a, b)).toEqual(i);
    expect(subtract(a, b)).toEqual(s);
  });

  it('answers membership', () => {
    const set = portSet([r(22), r(80, 443)]);
    expect([21, 22, 23, 80, 300, 443, 444].map((p) => hasPort(set, p))).toEqual([false, true, false, true, true, true, false]);
  });

  it('parses and formats ranges, refusing nonsense with the text', () => {
    expect(parsePortRange('22')).toEqual(r(22));
    expect(parsePortRange(' 8000 - 8080 ')).toEqual(r(8000, 8080));
    expect(parsePortRange('all')).toEqual(r(0, 65535));
    expect(formatRange(r(22))).toBe('22');
    expect(formatRange(r(1, 2))).toBe('1-2');
    expect(() => parsePortRange('70000')).toThrow('"70000"');
    expect(() => parsePortRange('90-80')).toThrow('ends before');
    expect(() => parsePortRange('ssh')).toThrow('"ssh"');
  });
});
