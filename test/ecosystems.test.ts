import { describe, expect, it } from 'vitest';
import {
  ECOSYSTEMS,
  UnknownEcosystemError,
  canonicalEcosystem,
  normalizePackageName,
  parseEcosystem,
} from '../src/ecosystems.js';

describe('parseEcosystem', () => {
  it.each([
    ['Debian:12', 'Debian', '12'],
    ['Ubuntu:22.04:LTS', 'Ubuntu', '22.04:LTS'],
    ['Alpine:v3.19', 'Alpine', 'v3.19'],
    ['Rocky Linux:9', 'Rocky Linux', '9'],
    ['Red Hat', 'Red Hat', undefined],
    ['debian:11', 'Debian', '11'],
    ['PyPI', 'PyPI', undefined],
  ])('%s → %s / %s', (raw, name, release) => {
    const parsed = parseEcosystem(raw);
    expect(parsed.info.name).toBe(name);
    expect(parsed.release).toBe(release);
  });

  it('rejects an unknown ecosystem and lists the known ones', () => {
    expect(() => parseEcosystem('Gentoo:2')).toThrow(UnknownEcosystemError);
    expect(() => parseEcosystem('Gentoo:2')).toThrow(/known ecosystems: Debian, Ubuntu/);
  });

  it('spells ecosystems the OSV way', () => {
    expect(canonicalEcosystem('debian:12')).toBe('Debian:12');
    expect(canonicalEcosystem('CRATES.IO')).toBe('crates.io');
  });

  it('has one entry per name', () => {
    const names = ECOSYSTEMS.map((e) => e.name.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('normalizePackageName', () => {
  it.each([
    ['PyPI', 'Django_REST.framework', 'django-rest-framework'],
    ['NuGet', 'Newtonsoft.Json', 'newtonsoft.json'],
    ['npm', '@Types/Node', '@Types/Node'],
    ['Maven', 'org.apache.logging.log4j:log4j-core', 'org.apache.logging.log4j:log4j-core'],
    ['Go', 'github.com/BurntSushi/toml', 'github.com/BurntSushi/toml'],
  ])('%s %s → %s', (ecosystem, name, expected) => {
    expect(normalizePackageName(ecosystem, name)).toBe(expected);
  });
});
