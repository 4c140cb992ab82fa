/**
 * The remediation line of a finding: the command that upgrades the package with the
 * package manager of its ecosystem, or the plain instruction when no fix exists yet.
 */
import { tryParseEcosystem } from '../../src/ecosystems.js';

/** A remediation as the finding panel shows it. */
export interface Remediation {
  summary: string;
  command?: string;
}

/** What to run (or do) to fix a package at `installed` with the fix in `fixed`. */
export function remediation(pkg: { name: string; version: string; ecosystem: string; source?: { name: string } }, fixed: string | undefined): Remediation {
  if (!fixed) return { summary: `No fixed version of ${pkg.name} is published yet; consider a suppression rule with a justification, or a mitigation.` };
  const eco = tryParseEcosystem(pkg.ecosystem);
  const summary = `Upgrade ${pkg.name} from ${pkg.version} to ${fixed} or later.`;
  if (!eco) return { summary };
  const n = pkg.name;
  switch (eco.info.purlType) {
    case 'deb':
      // Debian's fixed versions are per source package; every binary built from it moves together.
      return { summary, command: `apt-get update && apt-get install --only-upgrade ${n}` };
    case 'apk':
      return { summary, command: `apk upgrade --no-cache ${n}` };
    case 'rpm':
      return { summary, command: `dnf upgrade -y ${n}` };
    case 'npm':
      return { summary, command: `npm install ${n}@^${fixed}` };
    case 'pypi':
      return { summary, command: `pip install --upgrade '${n}>=${fixed}'` };
    case 'golang':
      return { summary, command: `go get ${n}@v${fixed.replace(/^v/, '')} && go mod tidy` };
    case 'maven': {
      const [group, artifact] = n.split(':');
      return { summary, command: `mvn versions:use-dep-version -Dincludes=${group}:${artifact ?? ''} -DdepVersion=${fixed} -DforceVersion=true` };
    }
    case 'nuget':
      return { summary, command: `dotnet add package ${n} --version ${fixed}` };
    case 'gem':
      return { summary, command: `bundle update --conservative ${n}` };
    case 'composer':
      return { summary, command: `composer require '${n}:^${fixed}'` };
    case 'cargo':
      return { summary, command: `cargo update -p ${n} --precise ${fixed}` };
    case 'hex':
      return { summary, command: `mix deps.update ${n}` };
    case 'pub':
      return { summary, command: `dart pub upgrade ${n}` };
    case 'cran':
      return { summary, command: `Rscript -e 'install.packages("${n}")'` };
    default:
      return { summary };
  }
}
