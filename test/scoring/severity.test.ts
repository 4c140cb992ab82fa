import { describe, expect, it } from 'vitest';
import { parseSeverity, severityAtLeast, severityForScore, severityFromVendorWord } from '../../src/scoring/severity.js';

describe('severityForScore', () => {
  // The band edges, both sides of each.
  const bands: [number, string][] = [
    [0, 'INFORMATIONAL'],
    [0.1, 'LOW'],
    [3.9, 'LOW'],
    [4.0, 'MEDIUM'],
    [6.9, 'MEDIUM'],
    [7.0, 'HIGH'],
    [8.9, 'HIGH'],
    [9.0, 'CRITICAL'],
    [10, 'CRITICAL'],
  ];
  it.each(bands)('%d is %s', (score, band) => expect(severityForScore(score)).toBe(band));
});

describe('severityFromVendorWord', () => {
  const words: [string, string | undefined][] = [
    ['MODERATE', 'MEDIUM'],
    ['Important', 'HIGH'],
    ['negligible', 'LOW'],
    [' critical ', 'CRITICAL'],
    ['urgent', 'CRITICAL'],
    ['unimportant-and-unknown', undefined],
  ];
  it.each(words)('%j → %s', (word, severity) => expect(severityFromVendorWord(word)).toBe(severity));
});

describe('thresholds', () => {
  it('compares bands, UNTRIAGED below every band', () => {
    expect(severityAtLeast('CRITICAL', 'HIGH')).toBe(true);
    expect(severityAtLeast('HIGH', 'HIGH')).toBe(true);
    expect(severityAtLeast('MEDIUM', 'HIGH')).toBe(false);
    expect(severityAtLeast('UNTRIAGED', 'LOW')).toBe(false);
    expect(severityAtLeast('LOW', 'UNTRIAGED')).toBe(true);
    expect(severityAtLeast('INFORMATIONAL', 'LOW')).toBe(false);
  });
  it('parses what users type', () => {
    expect(parseSeverity('high')).toBe('HIGH');
    expect(parseSeverity('Info')).toBe('INFORMATIONAL');
    expect(parseSeverity('severe')).toBeUndefined();
  });
});
