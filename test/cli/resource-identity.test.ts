import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitLocation, normaliseRemote, remoteUrls } from '../../src/cli/resource-identity.js';
import { resourceFromInventory } from '../../src/findings/resources.js';
import type { Inventory, TargetInfo } from '../../src/inventory/types.js';

describe('normaliseRemote', () => {
  it.each([
    ['https://github.com/acme/shop.git', 'github.com/acme/shop'],
    ['https://ci-bot:s3cret@GitHub.com/acme/shop.git/', 'github.com/acme/shop'],
    ['git@github.com:acme/shop.git', 'github.com/acme/shop'],
    ['ssh://git@gitlab.example.com:22/group/sub/shop.git', 'gitlab.example.com/group/sub/shop'],
    ['ssh://git@gitlab.example.com:2222/group/shop', 'gitlab.example.com:2222/group/shop'],
    ['file:///srv/git/shop.git', '/srv/git/shop'],
    ['/srv/git/shop.git', '/srv/git/shop'],
  ])('%s → %s', (url, name) => {
    expect(normaliseRemote(url)).toBe(name);
  });
});

describe('remoteUrls', () => {
  it('reads remote sections only, in order, with quoted subsections', () => {
    const config = '[core]\n\turl = not-a-remote\n[remote "upstream"]\n\turl = git@example.org:fork/shop.git\n[branch "main"]\n\tremote = origin\n[remote "origin"]\n\tfetch = +refs/heads/*\n\turl = "https://github.com/acme/shop"\n';
    expect(remoteUrls(config)).toEqual([
      { name: 'upstream', url: 'git@example.org:fork/shop.git' },
      { name: 'origin', url: 'https://github.com/acme/shop' },
    ]);
  });
});

describe('gitLocation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-git-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the checkout above a path, prefers origin, and gives the path within it', () => {
    const repo = join(dir, 'main');
    mkdirSync(join(repo, '.git'), { recursive: true });
    mkdirSync(join(repo, 'services', 'api'), { recursive: true });
    writeFileSync(join(repo, '.git', 'config'), '[remote "fork"]\n\turl = git@example.org:me/shop.git\n[remote "origin"]\n\turl = https://github.com/acme/shop.git\n');
    writeFileSync(join(repo, 'services', 'api', 'package-lock.json'), '{}');
    expect(gitLocation(join(repo, 'services', 'api'))).toEqual({ remote: 'github.com/acme/shop', path: 'services/api' });
    expect(gitLocation(join(repo, 'services', 'api', 'package-lock.json'))).toEqual({ remote: 'github.com/acme/shop', path: 'services/api/package-lock.json' });
    expect(gitLocation(repo)).toEqual({ remote: 'github.com/acme/shop', path: '' });
  });

  it('follows a worktree or submodule .git file to the shared config', () => {
    const repo = join(dir, 'main');
    const worktreeGit = join(repo, '.git', 'worktrees', 'feature');
    mkdirSync(worktreeGit, { recursive: true });
    writeFileSync(join(worktreeGit, 'commondir'), '../..\n');
    const wt = join(dir, 'feature');
    mkdirSync(wt);
    writeFileSync(join(wt, '.git'), `gitdir: ${worktreeGit}\n`);
    expect(gitLocation(wt)).toEqual({ remote: 'github.com/acme/shop', path: '' });
  });

  it('is undefined outside a checkout or without remotes', () => {
    const bare = join(dir, 'no-remote');
    mkdirSync(join(bare, '.git'), { recursive: true });
    writeFileSync(join(bare, '.git', 'config'), '[core]\n\tbare = false\n');
    expect(gitLocation(bare)).toBeUndefined();
    expect(gitLocation('/')).toBeUndefined();
  });
});

describe('resourceFromInventory', () => {
  const inventory = (target: TargetInfo): Inventory => ({ schemaVersion: 1, target, packages: [], warnings: [], partial: false, scannedAt: '2026-12-01T00:00:00Z' });
  const image = (tags: string[]) => ({ tags, configDigest: 'sha256:' + 'c'.repeat(64), labels: {}, history: [], layers: [] });

  it.each<[string, TargetInfo, object]>([
    [
      'a docker archive by its RepoTags, with the image id as digest',
      { type: 'docker-archive', name: '/builds/77/app.tar', image: image(['registry.example.com:5000/team/app:1.4']) },
      { type: 'CONTAINER_IMAGE', name: 'registry.example.com:5000/team/app:1.4', image: { registry: 'registry.example.com:5000', repository: 'team/app', digest: 'sha256:' + 'c'.repeat(64), tags: ['1.4'] } },
    ],
    [
      'a Docker Hub short name',
      { type: 'docker-archive', name: 'app.tar', image: image(['alpine:3.19']) },
      { type: 'CONTAINER_IMAGE', name: 'docker.io/library/alpine:3.19', image: { registry: 'docker.io', repository: 'library/alpine', digest: 'sha256:' + 'c'.repeat(64), tags: ['3.19'] } },
    ],
    [
      'an OCI layout whose ref.name is a bare tag, by its path',
      { type: 'oci-dir', name: 'oci-dir:/builds/77/layout', digest: 'sha256:' + 'd'.repeat(64), image: image(['1.4']) },
      { type: 'CONTAINER_IMAGE', name: 'oci-dir:/builds/77/layout', image: { registry: undefined, repository: undefined, digest: 'sha256:' + 'd'.repeat(64), tags: ['1.4'] } },
    ],
    ['an SBOM by its subject', { type: 'sbom', name: 'sbom:/tmp/x.json', subject: 'billing-api@2.4.1' }, { type: 'PACKAGE_ARCHIVE', name: 'billing-api@2.4.1' }],
    ['an SBOM without one by its path', { type: 'sbom', name: 'sbom:/tmp/x.json' }, { type: 'PACKAGE_ARCHIVE', name: 'sbom:/tmp/x.json' }],
  ])('%s', (_name, target, resource) => {
    expect(resourceFromInventory(inventory(target))).toEqual(resource);
  });
});
