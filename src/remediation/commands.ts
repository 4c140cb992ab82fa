/**
 * The command that moves packages to a version, in the package manager of their ecosystem.
 * Distribution commands name every binary of the source package at once: they move together.
 */
import { tryParseEcosystem } from '../ecosystems.js';

/** What to run for one action, and a word for the build files when the command is not the whole story. */
export interface UpgradeCommand {
  /** The package manager: apt, dnf, yum, zypper, apk, npm, pip, go, mvn, cargo, bundle, dotnet, composer, mix, dart, R. */
  manager: string;
  command: string;
  /** What else to change (a Gradle constraint, a Gemfile requirement). */
  hint?: string;
}

/** Single-quotes a word for a POSIX shell when it holds anything but safe characters. */
function sh(word: string): string {
  return /^[A-Za-z0-9@%+=:,./_^~-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

// Releases whose package manager is still yum (dnf arrived with RHEL 8, Amazon Linux 2023).
const YUM_RELEASES: Record<string, RegExp> = {
  'Red Hat': /^[1-7](\.|$)/,
  'Oracle Linux': /^[1-7](\.|$)/,
  'Amazon Linux': /^(1|2)$/,
};

function rpmManager(ecosystem: string, release: string | undefined): string {
  if (ecosystem === 'SUSE' || ecosystem === 'openSUSE') return 'zypper';
  return release !== undefined && YUM_RELEASES[ecosystem]?.test(release) ? 'yum' : 'dnf';
}

/**
 * The upgrade command for `names` (binary names for distributions, one name otherwise) to
 * `version` in `ecosystem`; undefined for an ecosystem without a package manager Vigil knows.
 */
export function upgradeCommand(ecosystem: string, names: readonly string[], version: string): UpgradeCommand | undefined {
  const eco = tryParseEcosystem(ecosystem);
  if (!eco || names.length === 0) return undefined;
  const n = names[0];
  const all = names.map(sh).join(' ');
  switch (eco.info.purlType) {
    case 'deb':
      // The newest build in the release is at least the fixed one: apt picks it without a pin,
      // which also keeps binaries with their own version (binNMUs) consistent.
      return { manager: 'apt', command: `apt-get update && apt-get install --only-upgrade -y ${all}` };
    case 'apk':
      return { manager: 'apk', command: `apk upgrade --no-cache ${all}` };
    case 'rpm': {
      const manager = rpmManager(eco.info.name, eco.release);
      return { manager, command: manager === 'zypper' ? `zypper --non-interactive update ${all}` : `${manager} upgrade -y ${all}` };
    }
    case 'npm':
      return { manager: 'npm', command: `npm install ${sh(`${n}@${version}`)}` };
    case 'pypi':
      return { manager: 'pip', command: `pip install --upgrade ${sh(`${n}>=${version}`)}` };
    case 'golang':
      // The Go standard library moves with the toolchain, not with go get.
      if (n === 'stdlib' || n === 'toolchain') return { manager: 'go', command: `go get toolchain@go${version.replace(/^v/, '')}`, hint: `build with Go ${version.replace(/^v/, '')} or later` };
      return { manager: 'go', command: `go get ${sh(`${n}@v${version.replace(/^v/, '')}`)} && go mod tidy` };
    case 'maven': {
      const [group, artifact = ''] = n.split(':');
      return {
        manager: 'mvn',
        command: `mvn versions:use-dep-version -Dincludes=${sh(`${group}:${artifact}`)} -DdepVersion=${sh(version)} -DforceVersion=true`,
        hint: `Gradle: constraints { implementation("${group}:${artifact}:${version}") }`,
      };
    }
    case 'nuget':
      return { manager: 'dotnet', command: `dotnet add package ${sh(n)} --version ${sh(version)}` };
    case 'gem':
      return { manager: 'bundle', command: `bundle update --conservative ${sh(n)}`, hint: `Gemfile: gem '${n}', '>= ${version}'` };
    case 'composer':
      return { manager: 'composer', command: `composer require ${sh(`${n}:^${version}`)}` };
    case 'cargo':
      return { manager: 'cargo', command: `cargo update -p ${sh(n)} --precise ${sh(version)}` };
    case 'hex':
      return { manager: 'mix', command: `mix deps.update ${sh(n)}`, hint: `mix.exs: {:${n}, ">= ${version}"}` };
    case 'pub':
      return { manager: 'dart', command: `dart pub upgrade ${sh(n)}` };
    case 'cran':
      return { manager: 'R', command: `Rscript -e ${sh(`install.packages("${n}")`)}` };
    default:
      return undefined;
  }
}
