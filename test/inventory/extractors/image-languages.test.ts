/**
 * Language packages in real images and targets, through the whole inventory (walker,
 * registry, builder): npm packages in the debootstrapped image's `/app` layer, attributed to
 * that layer; a deleted package gone from the installed tree; `vigil sbom` on a single
 * lockfile; and Debian-installed Python distributions owned by their .deb.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireComponent } from '../../helpers/components.js';
import { scanTarget } from '../../../src/inventory/index.js';
import type { Inventory, Package } from '../../../src/inventory/types.js';
import { runVigil, sharedDir } from '../../helpers/cli.js';
import { debianImages } from '../../helpers/images.js';
import { cached, listFiles, sh } from './lang-workdir.js';

function npm(inv: Inventory, extractor: string): Package[] {
  return inv.packages.filter((p) => p.ecosystem === 'npm' && p.extractor.startsWith(extractor));
}

describe('npm packages in the debootstrapped image', () => {
  // Building the images (debootstrap, umoci) takes minutes the first time: a hook may.
  beforeAll(async () => {
    await debianImages();
  });

  it('finds the app layer npm packages and attributes them to that layer', async () => {
    const images = await debianImages();
    const inv = await scanTarget(`oci-dir:${images.ociRef('bookworm-node')}`);
    const layers = inv.target.image?.layers ?? [];
    expect(layers.length).toBe(2);
    const [base, app] = layers.map((l) => l.digest);
    const installed = npm(inv, 'javascript/node-modules');
    const names = installed.map((p) => `${p.name}@${p.version}`);
    expect(names).toContain('lodash@4.17.15');
    expect(names).toContain('minimist@1.2.0');
    for (const p of installed) {
      expect(p.layer).toBe(app);
      expect(p.locations[0]).toMatch(/^\/app\/node_modules\/.+\/package\.json$/);
      expect(p.purl).toBe(`pkg:npm/${p.name}@${p.version}`);
    }
    const locked = npm(inv, 'javascript/package-lock-json');
    expect(locked.map((p) => `${p.name}@${p.version}`).sort()).toEqual([...names].sort());
    expect(locked.every((p) => p.layer === app && p.locations[0] === '/app/package-lock.json')).toBe(true);
    // The OS packages come from the base layer.
    expect(inv.packages.find((p) => p.purlType === 'deb')?.layer).toBe(base);
  });

  it('drops a package whose files a later layer deleted, while its lockfile still lists it', async () => {
    const images = await debianImages();
    const inv = await scanTarget(`oci-dir:${images.ociRef('bookworm-node-del')}`);
    expect(npm(inv, 'javascript/node-modules').map((p) => p.name)).not.toContain('lodash');
    expect(npm(inv, 'javascript/package-lock-json').map((p) => p.name)).toContain('lodash');
  });
});

describe('vigil sbom on a single lockfile', () => {
  it('inventories package-lock.json given directly', async () => {
    const lock = join(sharedDir, 'vulndata/demo/npm-project/package-lock.json');
    const r = await runVigil(['sbom', '--format', 'json', lock]);
    expect(r.code).toBe(0);
    const inv = JSON.parse(r.stdout) as Inventory;
    expect(inv.target.type).toBe('file');
    const names = inv.packages.map((p) => `${p.name}@${p.version}`);
    expect(names).toContain('lodash@4.17.15');
    expect(names).toContain('express@4.17.1');
    expect(inv.packages.every((p) => p.ecosystem === 'npm' && p.extractor === 'javascript/package-lock-json@1')).toBe(true);
  });
});

describe("Python distributions installed by Debian's packages", () => {
  // A root tree of real python3-* .debs with a dpkg database written from those .debs.
  const dpkgTree = () =>
    cached('debian-python-dpkg', async (dir) => {
      const debs = join(dir, 'debs');
      await mkdir(debs);
      await sh('apt-get', ['download', '-q', 'python3-requests', 'python3-six'], { cwd: debs });
      const tree = join(dir, 'root');
      await mkdir(join(tree, 'var/lib/dpkg/info'), { recursive: true });
      await mkdir(join(tree, 'etc'), { recursive: true });
      await writeFile(join(tree, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n');
      let status = '';
      for (const f of await listFiles(debs)) {
        await sh('dpkg-deb', ['-x', f.abs, tree]);
        const fields = await sh('dpkg-deb', ['-f', f.abs, 'Package', 'Version', 'Architecture', 'Source']);
        status += `${fields.trim()}\nStatus: install ok installed\n\n`;
        const pkg = /^Package: (.+)$/m.exec(fields)?.[1] as string;
        const list = await sh('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -t', 'sh', f.abs]);
        const paths = list
          .split('\n')
          .map((l) => l.replace(/^\.\/?/, '/').replace(/\/$/, ''))
          .filter((l) => l !== '' && l !== '/');
        await writeFile(join(tree, `var/lib/dpkg/info/${pkg}.list`), `/.\n${paths.join('\n')}\n`);
      }
      await writeFile(join(tree, 'var/lib/dpkg/status'), status);
    });
  beforeAll(async () => {
    requireComponent('dpkg-deb');
    await dpkgTree();
  });

  it('are reported with the .deb that owns their metadata file', async () => {
    const inv = await scanTarget(`dir:${join(await dpkgTree(), 'root')}`);
    const requests = inv.packages.find((p) => p.ecosystem === 'PyPI' && p.name === 'requests');
    expect(requests, JSON.stringify(inv.warnings)).toBeDefined();
    expect(requests?.locations[0]).toMatch(/^\/usr\/lib\/python3\/dist-packages\/requests-[^/]+\.(egg-info\/PKG-INFO|dist-info\/METADATA)$/);
    expect(requests?.ownedBy).toMatchObject({ purlType: 'deb', name: 'python3-requests' });
    expect(inv.packages.find((p) => p.ecosystem === 'PyPI' && p.name === 'six')?.ownedBy?.name).toBe('python3-six');
  });
});
