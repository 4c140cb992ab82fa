/**
 * Entry names turned into target paths: the common names (clean, relative, perhaps with `./`
 * before them or `/` after them) and every kind the general way handles (absolute, `.`, `..`,
 * empty parts, NUL bytes), compared whole.
 */
import { describe, expect, it } from 'vitest';
import { cleanEntryPath, type CleanPath } from '../../src/inventory/paths.js';

const cases: [name: string, expected: CleanPath][] = [
  // Common names: each part is kept as it is.
  ['usr/bin/bash', { ok: true, path: '/usr/bin/bash', escaped: false }],
  ['usr/share/doc/', { ok: true, path: '/usr/share/doc', escaped: false }],
  ['./etc/os-release', { ok: true, path: '/etc/os-release', escaped: false }],
  ['./etc/', { ok: true, path: '/etc', escaped: false }],
  ['etc', { ok: true, path: '/etc', escaped: false }],
  ['app/.wh..wh..opq', { ok: true, path: '/app/.wh..wh..opq', escaped: false }],
  ['app/.wh.gone', { ok: true, path: '/app/.wh.gone', escaped: false }],
  ['a/...', { ok: true, path: '/a/...', escaped: false }],
  ['a/..b/.c', { ok: true, path: '/a/..b/.c', escaped: false }],
  ['caf\u00e9/\uFFFD', { ok: true, path: '/caf\u00e9/\uFFFD', escaped: false }],
  // The root itself.
  ['./', { ok: true, path: '/', escaped: false }],
  ['.', { ok: true, path: '/', escaped: false }],
  ['/', { ok: true, path: '/', escaped: true }],
  // Empty parts and `.` are dropped.
  ['usr//bin', { ok: true, path: '/usr/bin', escaped: false }],
  ['usr/./bin/', { ok: true, path: '/usr/bin', escaped: false }],
  ['././/etc//', { ok: true, path: '/etc', escaped: false }],
  ['etc/.', { ok: true, path: '/etc', escaped: false }],
  // `..` is resolved, and clamped at the root (escaped).
  ['usr/lib/../bin', { ok: true, path: '/usr/bin', escaped: false }],
  ['usr/..', { ok: true, path: '/', escaped: false }],
  ['../etc/passwd', { ok: true, path: '/etc/passwd', escaped: true }],
  ['./../../x', { ok: true, path: '/x', escaped: true }],
  ['/etc/shadow', { ok: true, path: '/etc/shadow', escaped: true }],
  // Refused.
  ['etc/pass\0wd', { ok: false, reason: 'name contains a NUL byte' }],
  ['\0', { ok: false, reason: 'name contains a NUL byte' }],
  ['', { ok: true, path: '/', escaped: false }],
];

describe('cleanEntryPath', () => {
  it.each(cases)('%j', (name, expected) => {
    expect(cleanEntryPath(name)).toEqual(expected);
  });
});
