/**
 * Which operating system a target runs, and its OSV ecosystem with release (`Debian:12`,
 * `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `Rocky Linux:9`). Reads os-release first, then the
 * older release files, then what the package databases say (distroless images have no
 * os-release, but their dpkg `status.d/base-files` carries the Debian release).
 */
import { ECOSYSTEMS, type EcosystemInfo } from '../../../ecosystems.js';
import type { FoundPackage, OsInfo } from '../../types.js';

/** Files the detector reads, in order of trust. */
export const OS_FILES = ['/etc/os-release', '/usr/lib/os-release', '/etc/alpine-release', '/etc/debian_version', '/etc/redhat-release'] as const;

/** The detector's identity, stored with what it found. */
export const osReleaseDetector = { id: 'os/os-release', version: 1 } as const;

/** True for the files the detector wants from the walk. */
export function osFileRequired(path: string): boolean {
  return (OS_FILES as readonly string[]).includes(path);
}

/** Parses os-release (`KEY=value`, optionally quoted, `#` comments). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    }
    out[key] = value;
  }
  return out;
}

function ecosystemForId(id: string): EcosystemInfo | undefined {
  return ECOSYSTEMS.find((e) => e.kind === 'os' && (e.osReleaseIds as readonly string[] | undefined)?.includes(id));
}

function major(version: string | undefined): string | undefined {
  return version?.match(/^(\d+)/)?.[1];
}

function majorMinor(version: string | undefined): string | undefined {
  const m = version?.match(/^(\d+)\.(\d+)/);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** The release part of the OSV ecosystem for a distribution, or undefined when it cannot be known. */
function releaseFor(info: EcosystemInfo, os: OsInfo): string | undefined {
  const v = os.versionId;
  switch (info.name) {
    case 'Debian':
      return major(v);
    case 'Ubuntu': {
      const mm = majorMinor(v);
      if (!mm) return undefined;
      return /LTS/.test(os.version ?? '') || /LTS/.test(os.prettyName ?? '') ? `${mm}:LTS` : mm;
    }
    case 'Alpine': {
      const mm = majorMinor(v);
      return mm ? `v${mm}` : undefined;
    }
    case 'Wolfi':
    case 'Chainguard':
      // Rolling distributions: OSV keys them without a release.
      return undefined;
    case 'Red Hat':
    case 'Rocky Linux':
    case 'AlmaLinux':
    case 'Oracle Linux':
    case 'Fedora':
    case 'Mageia':
      return major(v);
    case 'Amazon Linux':
      return major(v);
    case 'openSUSE':
      if (os.id === 'opensuse-tumbleweed') return 'Tumbleweed';
      return v ? `Leap ${v}` : undefined;
    case 'SUSE': {
      const [maj, min] = (v ?? '').split('.');
      if (!maj) return undefined;
      return min && min !== '0' ? `Linux Enterprise Server ${maj} SP${min}` : `Linux Enterprise Server ${maj}`;
    }
    default:
      return majorMinor(v) ?? v;
  }
}

/** Fills `ecosystem` from id and version; leaves it unset for unknown distributions. */
export function withEcosystem(os: OsInfo): OsInfo {
  const info = ecosystemForId(os.id);
  if (!info) return os;
  const release = releaseFor(info, os);
  return { ...os, ecosystem: release ? `${info.name}:${release}` : info.name };
}

const REDHAT_RELEASE: [RegExp, string][] = [
  [/^Red Hat Enterprise Linux/i, 'rhel'],
  [/^Rocky Linux/i, 'rocky'],
  [/^AlmaLinux/i, 'almalinux'],
  [/^CentOS/i, 'centos'],
  [/^Fedora/i, 'fedora'],
  [/^Oracle Linux/i, 'ol'],
];

/** What the detector concluded, and why not when it could not. */
export interface OsDetection {
  os?: OsInfo;
  /** Set when the OS is unknown or has no OSV ecosystem. */
  warning?: string;
  /** The file it was read from. */
  source?: string;
}

/**
 * Decides the OS from the files the walk handed over (`path → bytes`) and the OS packages
 * found (for distroless images, which have a dpkg database but may lack release files).
 * `osExpected` false (a project directory, a lockfile) keeps quiet about a missing OS when
 * no OS packages were found either.
 */
export function detectOs(files: ReadonlyMap<string, Buffer>, packages: readonly FoundPackage[] = [], osExpected = true): OsDetection {
  const text = (p: string) => files.get(p)?.toString('utf8');
  const osRelease = text('/etc/os-release') ?? text('/usr/lib/os-release');
  let os: OsInfo | undefined;
  let source: string | undefined;
  if (osRelease !== undefined) {
    const kv = parseOsRelease(osRelease);
    if (kv.ID) {
      os = {
        id: kv.ID.toLowerCase(),
        name: kv.NAME,
        version: kv.VERSION,
        versionId: kv.VERSION_ID,
        codename: kv.VERSION_CODENAME || undefined,
        prettyName: kv.PRETTY_NAME,
      };
      source = files.has('/etc/os-release') ? '/etc/os-release' : '/usr/lib/os-release';
    }
  }
  const alpine = text('/etc/alpine-release')?.trim();
  if (!os && alpine) [os, source] = [{ id: 'alpine', name: 'Alpine Linux', versionId: alpine }, '/etc/alpine-release'];
  const redhat = text('/etc/redhat-release')?.trim();
  if (!os && redhat) {
    const id = REDHAT_RELEASE.find(([re]) => re.test(redhat))?.[1];
    const versionId = redhat.match(/release\s+([\d.]+)/)?.[1];
    if (id) [os, source] = [{ id, versionId, prettyName: redhat }, '/etc/redhat-release'];
  }
  const debianVersion = text('/etc/debian_version')?.trim();
  if (!os && debianVersion) {
    const numeric = /^\d/.test(debianVersion);
    [os, source] = [{ id: 'debian', name: 'Debian GNU/Linux', versionId: numeric ? major(debianVersion) : undefined, codename: numeric ? undefined : debianVersion }, '/etc/debian_version'];
  }
  if (os?.id === 'debian' && !os.versionId && debianVersion && /^\d/.test(debianVersion)) {
    // Debian testing/sid os-release has no VERSION_ID; debian_version may still name a point release.
    os = { ...os, versionId: major(debianVersion) };
  }
  if (!os) {
    // Distroless: dpkg's status.d lists base-files, whose version is the Debian release.
    const baseFiles = packages.find((p) => p.purlType === 'deb' && p.name === 'base-files');
    if (baseFiles) [os, source] = [{ id: 'debian', name: 'Debian GNU/Linux', versionId: major(baseFiles.version) }, 'var/lib/dpkg (base-files)'];
  }
  if (!os) {
    const hasOsPackages = packages.some((p) => p.purlType === 'deb' || p.purlType === 'rpm' || p.purlType === 'apk');
    if (!hasOsPackages && !osExpected) return {};
    return { warning: hasOsPackages ? 'OS packages found but the operating system is unknown (no os-release); they get no ecosystem' : 'operating system unknown (no os-release or release file)' };
  }
  const detected = withEcosystem(os);
  if (!detected.ecosystem) {
    return { os: detected, source, warning: `no OSV ecosystem for OS "${os.id}"${os.versionId ? ` ${os.versionId}` : ''}; its OS packages cannot be matched` };
  }
  return { os: detected, source };
}
