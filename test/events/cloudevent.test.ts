import { describe, expect, it } from 'vitest';
import { buildCloudEvent, canonicalJson, eventId } from '../../src/events/cloudevent.js';
import { typeMatches } from '../../src/events/filter.js';

describe('CloudEvents', () => {
  const input = {
    type: 'vigil.finding.updated' as const,
    accountId: 'a',
    subject: 'f1',
    data: { previous: { status: 'ACTIVE', score: 7.5, severity: 'HIGH' }, status: 'ACTIVE', score: 9.8, severity: 'CRITICAL' },
  };

  it('derives the id from content, not time or key order', () => {
    const reordered = { ...input, data: { severity: 'CRITICAL', score: 9.8, status: 'ACTIVE', previous: { severity: 'HIGH', score: 7.5, status: 'ACTIVE' } } };
    expect(eventId(reordered)).toBe(eventId(input));
    expect(buildCloudEvent({ ...input, time: new Date(0) }).id).toBe(buildCloudEvent(input).id);
    expect(eventId({ ...input, data: { ...input.data, score: 9.9 } })).not.toBe(eventId(input));
  });

  it('builds a valid CloudEvent 1.0', () => {
    const ce = buildCloudEvent({ ...input, severity: 'CRITICAL', time: new Date('2026-11-27T00:00:00Z') });
    expect(ce).toMatchObject({ specversion: '1.0', source: '/vigil/accounts/a', type: 'vigil.finding.updated', time: '2026-11-27T00:00:00.000Z', vigilseverity: 'CRITICAL' });
  });

  it('writes canonical JSON', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: undefined }] })).toBe('{"a":[{"d":1}],"b":1}');
  });

  it.each([
    [['*'], 'vigil.scan.completed', true],
    [['vigil.finding.*'], 'vigil.finding.closed', true],
    [['vigil.finding.*'], 'vigil.scan.completed', false],
    [['vigil.scan.completed'], 'vigil.scan.completed', true],
    [['vigil.scan'], 'vigil.scan.completed', false],
  ])('type patterns %o vs %s', (patterns, type, ok) => {
    expect(typeMatches(patterns, type)).toBe(ok);
  });
});
