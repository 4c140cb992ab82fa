/**
 * The extractor registry: one line per extractor, nothing registers itself on import.
 * `test/inventory/registry.test.ts` checks every entry's contract.
 */
import { apkInstalled } from './extractors/os/apk-installed.js';
import { dpkgStatus } from './extractors/os/dpkg-status.js';
import { rpmDb } from './extractors/os/rpm-db.js';
import { pubspecLock } from './extractors/dart/pubspec-lock.js';
import { depsJson } from './extractors/dotnet/deps-json.js';
import { packagesLockJson } from './extractors/dotnet/packages-lock-json.js';
import { mixLock } from './extractors/elixir/mix-lock.js';
import { goBinary } from './extractors/go/go-binary.js';
import { goMod } from './extractors/go/go-mod.js';
import { javaArchive } from './extractors/java/archive.js';
import { gradleLockfile } from './extractors/java/gradle-lockfile.js';
import { pomXml } from './extractors/java/pom-xml.js';
import { bunLock } from './extractors/javascript/bun-lock.js';
import { nodeModules } from './extractors/javascript/node-modules.js';
import { packageLockJson } from './extractors/javascript/package-lock-json.js';
import { pnpmLock } from './extractors/javascript/pnpm-lock.js';
import { yarnLock } from './extractors/javascript/yarn-lock.js';
import { composerLock } from './extractors/php/composer-lock.js';
import { composerInstalled } from './extractors/php/installed-json.js';
import { pdmLock } from './extractors/python/pdm-lock.js';
import { pipfileLock } from './extractors/python/pipfile-lock.js';
import { poetryLock } from './extractors/python/poetry-lock.js';
import { pythonInstalled } from './extractors/python/installed.js';
import { requirementsTxt } from './extractors/python/requirements-txt.js';
import { uvLock } from './extractors/python/uv-lock.js';
import { gemfileLock } from './extractors/ruby/gemfile-lock.js';
import { gemspec } from './extractors/ruby/gemspec.js';
import { cargoAuditable } from './extractors/rust/cargo-auditable.js';
import { cargoLock } from './extractors/rust/cargo-lock.js';
import type { Extractor } from './types.js';

/** Every extractor a scan runs, OS package databases first. */
export const extractors = [
  dpkgStatus,
  apkInstalled,
  rpmDb,
  nodeModules,
  packageLockJson,
  yarnLock,
  pnpmLock,
  bunLock,
  pythonInstalled,
  requirementsTxt,
  poetryLock,
  pipfileLock,
  uvLock,
  pdmLock,
  goMod,
  goBinary,
  javaArchive,
  pomXml,
  gradleLockfile,
  cargoLock,
  cargoAuditable,
  gemfileLock,
  gemspec,
  composerLock,
  composerInstalled,
  packagesLockJson,
  depsJson,
  pubspecLock,
  mixLock,
] satisfies readonly Extractor[];
