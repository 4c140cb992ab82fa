/**
 * Java archives as Debian ships them in /usr/share/java, many without pom.properties: their
 * Maven coordinates come from the evidence left (known artifacts, the manifest, the file name)
 * and say which (`metadata.identity`). The packages are installed by scripts/install-test-deps.sh;
 * a missing one fails the test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractJavaArchive } from '../../../src/inventory/extractors/java/archive.js';

// [file in /usr/share/java, Maven name, version, identity, Debian package]
const cases: [string, string, string, string, string][] = [
  // The manifest says Implementation-Vendor-Id org.apache: not the Maven group.
  ['commons-logging-1.2.jar', 'commons-logging:commons-logging', '1.2', 'known-artifacts', 'libcommons-logging-java'],
  ['commons-logging-api-1.2.jar', 'commons-logging:commons-logging-api', '1.2', 'known-artifacts', 'libcommons-logging-java'],
  // The manifest says Bundle-SymbolicName org.objectweb.asm: ASM's Maven group is org.ow2.asm.
  ['asm-9.4.jar', 'org.ow2.asm:asm', '9.4-SNAPSHOT', 'known-artifacts', 'libasm-java'],
  ['asm-tree-9.4.jar', 'org.ow2.asm:asm-tree', '9.4-SNAPSHOT', 'known-artifacts', 'libasm-java'],
  // Debian's file name is not the Maven artifact id.
  ['atinject-jsr330-api-1.0.jar', 'javax.inject:javax.inject', '1.0.0', 'known-artifacts', 'libatinject-jsr330-api-java'],
  ['aopalliance-1.0.jar', 'aopalliance:aopalliance', '1.0', 'known-artifacts', 'libaopalliance-java'],
  ['jsr305-0.1~+svn49.jar', 'com.google.code.findbugs:jsr305', '0.1~+svn49', 'known-artifacts', 'libjsr305-java'],
  ['xz-1.9.jar', 'org.tukaani:xz', '1.9', 'known-artifacts', 'libxz-java'],
  // Built with Maven: pom.properties names the artifact.
  ['jsoup.jar', 'org.jsoup:jsoup', '1.15.3', 'pom-properties', 'libjsoup-java'],
  ['commons-codec.jar', 'commons-codec:commons-codec', '1.15', 'pom-properties', 'libcommons-codec-java'],
  ['slf4j-api.jar', 'org.slf4j:slf4j-api', '1.7.32', 'pom-properties', 'libslf4j-java'],
];

describe('Debian jars without pom.properties keep their Maven identity', () => {
  it.each(cases)('%s → %s %s (%s)', async (file, name, version, identity, debPackage) => {
    const path = `/usr/share/java/${file}`;
    expect(existsSync(path), `${path} is missing: install ${debPackage} (scripts/install-test-deps.sh)`).toBe(true);
    const warnings: string[] = [];
    const found = await extractJavaArchive(readFileSync(path), path, { warn: (r) => warnings.push(r) });
    expect(found.map((p) => [p.name, p.version, p.metadata?.identity])).toEqual([[name, version, identity]]);
    expect(warnings).toEqual([]);
  });
});

describe('the identity order on archives built with jar', () => {
  const work = mkdtempSync(join(tmpdir(), 'vigil-jar-identity-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  function jar(name: string, manifestLines: string[]): Buffer {
    writeFileSync(join(work, 'manifest.txt'), `${manifestLines.join('\n')}\n`);
    writeFileSync(join(work, 'README'), 'x');
    execFileSync('jar', ['--create', '--file', join(work, name), '--manifest', join(work, 'manifest.txt'), '-C', work, 'README']);
    return readFileSync(join(work, name));
  }
  const brief = async (buf: Buffer, path: string) => (await extractJavaArchive(buf, path, { warn: () => {} })).map((p) => [p.name, p.version, p.metadata?.identity]);

  it('takes the OSGi bundle name when the vendor id agrees with it', async () => {
    const buf = jar('agree.jar', ['Bundle-SymbolicName: org.example.widget;singleton:=true', 'Implementation-Vendor-Id: org.example', 'Bundle-Version: 3.1.0']);
    expect(await brief(buf, '/lib/widget-3.1.0.jar')).toEqual([['org.example:widget', '3.1.0', 'manifest']]);
  });

  it('falls back to the file name, without a group, when they disagree', async () => {
    const buf = jar('disagree.jar', ['Bundle-SymbolicName: org.example.widget', 'Implementation-Vendor-Id: com.vendor', 'Implementation-Version: 3.1']);
    expect(await brief(buf, '/lib/widget-3.1.jar')).toEqual([['widget', '3.1', 'filename']]);
  });

  it('prefers the known-artifact table to a manifest that names another group', async () => {
    const buf = jar('cl.jar', ['Bundle-SymbolicName: org.apache.commons.logging', 'Implementation-Vendor-Id: org.apache', 'Implementation-Version: 1.1']);
    expect(await brief(buf, '/lib/commons-logging-1.1.jar')).toEqual([['commons-logging:commons-logging', '1.1', 'known-artifacts']]);
  });
});
