/**
 * What the host agent walks: the mount policy over a real-looking mount table (pseudo,
 * network, a second local disk, a bind mount of the root's own filesystem), the default and
 * given excludes, and the progress lines a walk writes when stderr is not a terminal.
 */
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { collectHost } from '../../src/agent/host-agent.js';
import { DEFAULT_EXCLUDES, hostScope } from '../../src/agent/host-scope.js';
import { mountKind, mountsToSkip, parseMountInfo, type MountPolicy } from '../../src/agent/mounts.js';
import { walkLog } from '../../src/cli/agent-progress.js';

// A host with its root on ext4, /var on a second disk, an NFS home share, a tmpfs, a bind
// mount of a root directory, a path with a space, and the usual pseudo filesystems.
const MOUNTINFO = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '23 22 0:20 / /proc rw,nosuid - proc proc rw',
  '24 22 0:21 / /sys rw,nosuid - sysfs sysfs rw',
  '25 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw',
  '26 22 0:6 / /dev rw - devtmpfs devtmpfs rw,size=10k',
  '27 22 0:22 / /run rw,nosuid shared:5 - tmpfs tmpfs rw',
  '28 22 254:16 / /var rw,relatime shared:7 - xfs /dev/vdb1 rw',
  '29 22 0:40 / /home rw,relatime shared:9 - nfs4 fs.example:/home rw,vers=4.2',
  '30 22 254:0 /srv/data /mnt/data rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '31 22 0:41 / /mnt/my\\040share rw - cifs //nas/share rw',
  '32 22 0:42 / /snap/core/1 ro - squashfs /dev/loop0 ro',
  'garbage line',
].join('\n');

describe('mount policy', () => {
  const mounts = parseMountInfo(MOUNTINFO);

  it('parses mountinfo, unescaping paths and skipping malformed lines', () => {
    expect(mounts).toHaveLength(11);
    expect(mounts.find((m) => m.fsType === 'cifs')).toEqual({ device: '0:41', mountPoint: '/mnt/my share', fsType: 'cifs' });
  });

  it.each<[MountPolicy, Record<string, string>]>([
    ['local', { '/proc': 'proc', '/sys': 'sysfs', '/sys/fs/cgroup': 'cgroup2', '/dev': 'devtmpfs', '/run': 'tmpfs', '/home': 'nfs4', '/mnt/my share': 'cifs' }],
    // --one-file-system: every other device, even a local disk; a bind mount of the root's own filesystem stays.
    ['none', { '/proc': 'proc', '/sys': 'sysfs', '/sys/fs/cgroup': 'cgroup2', '/dev': 'devtmpfs', '/run': 'tmpfs', '/var': 'xfs', '/home': 'nfs4', '/mnt/my share': 'cifs', '/snap/core/1': 'squashfs' }],
    ['all', {}],
  ])('%s leaves out these mounts of /', (policy, expected) => {
    const skipped = mountsToSkip('/', mounts, policy);
    expect(Object.fromEntries([...skipped.values()].map((m) => [m.path, m.fsType]))).toEqual(expected);
  });

  it('finds mounts under another root by their path inside it', () => {
    const skipped = mountsToSkip('/mnt/data', [...mounts, { device: '0:50', mountPoint: '/mnt/data/cache', fsType: 'tmpfs' }], 'none');
    expect([...skipped.keys()]).toEqual(['/cache']);
  });

  it.each([
    ['ext4', 'local'],
    ['overlay', 'local'],
    ['nfs', 'network'],
    ['fuse.sshfs', 'network'],
    ['tmpfs', 'pseudo'],
    ['fuse.lxcfs', 'pseudo'],
  ])('%s is %s', (fsType, kind) => {
    expect(mountKind(fsType)).toBe(kind);
  });
});

describe('host scope', () => {
  const noMounts = { mountTable: [], root: '/' };

  it('leaves out the default excludes, anchored or at any depth, and says why', () => {
    const scope = hostScope(noMounts);
    const dirs = ['/tmp', '/usr', '/usr/lib', '/root/.cache', '/home/ana/.m2/repository', '/home/ana/.m2', '/var/lib/docker', '/srv/app/.git', '/srv/tmp'];
    expect(dirs.filter((d) => scope.prune(d, true))).toEqual(['/tmp', '/root/.cache', '/home/ana/.m2/repository', '/var/lib/docker', '/srv/app/.git']);
    expect(scope.leftOut).toEqual([
      { path: '/tmp', why: 'excluded by /tmp' },
      { path: '/root/.cache', why: 'excluded by **/.cache' },
      { path: '/home/ana/.m2/repository', why: 'excluded by **/.m2/repository' },
      { path: '/var/lib/docker', why: 'excluded by /var/lib/docker' },
      { path: '/srv/app/.git', why: 'excluded by **/.git' },
    ]);
    expect([scope.directories, scope.currentDir]).toEqual([4, '/srv/tmp']);
  });

  it('adds --exclude globs, matches files too, and drops the defaults on request', () => {
    const scope = hostScope({ ...noMounts, exclude: ['/work', 'fixtures', '*.lock'], defaultExcludes: false });
    expect(['/work', '/tmp', '/srv/app/test/fixtures', '/srv/work'].filter((d) => scope.prune(d, true))).toEqual(['/work', '/srv/app/test/fixtures']);
    expect(['/srv/app/yarn.lock', '/srv/app/package.json'].filter((f) => scope.prune(f, false))).toEqual(['/srv/app/yarn.lock']);
    expect(scope.filesExcluded).toBe(1);
  });

  it('leaves out mounts by the policy', () => {
    const scope = hostScope({ root: '/', mountTable: parseMountInfo(MOUNTINFO), defaultExcludes: false });
    expect(['/home', '/var', '/mnt/data', '/mnt/my share'].filter((d) => scope.prune(d, true))).toEqual(['/home', '/mnt/my share']);
    expect(scope.leftOut).toEqual([
      { path: '/home', why: 'nfs4 mount' },
      { path: '/mnt/my share', why: 'cifs mount' },
    ]);
  });

  it('tells ahead which directories it will leave out, without counting or recording them', () => {
    const scope = hostScope({ root: '/', mountTable: parseMountInfo(MOUNTINFO) });
    const dirs = ['/home', '/var', '/mnt/data', '/mnt/my share', '/tmp', '/usr/lib', '/srv/app/.git'];
    expect(dirs.filter((d) => !scope.mayList(d))).toEqual(['/home', '/mnt/my share', '/tmp', '/srv/app/.git']);
    expect([scope.directories, scope.leftOut]).toEqual([0, []]);
    expect(dirs.filter((d) => scope.prune(d, true))).toEqual(dirs.filter((d) => !scope.mayList(d)));
  });

  it('has no default exclude where software is installed', () => {
    const scope = hostScope(noMounts);
    const installed = ['/usr/lib/node_modules', '/usr/local/lib/python3.11/site-packages', '/opt/app/node_modules', '/srv/shop', '/home/ana/.local/lib', '/root/.nvm', '/var/lib/dpkg', '/snap'];
    expect(installed.filter((d) => scope.prune(d, true))).toEqual([]);
    expect(DEFAULT_EXCLUDES).toContain('/tmp');
  });
});

describe('walk progress when stderr is not a terminal', () => {
  it('logs the start, at most one line per interval, and the end', () => {
    const lines: string[] = [];
    let t = 0;
    const scope = hostScope({ root: '/', mountTable: [], defaultExcludes: false });
    const log = walkLog('/', (l) => lines.push(l), 10_000, () => t);
    for (const [at, dir, bytes] of [
      [1_000, '/etc', 1024],
      [5_000, '/usr', 2 * 1048576],
      [10_500, '/usr/lib', 3 * 1048576],
      [12_000, '/usr/share', 4 * 1048576],
      [21_000, '/var', 5 * 1048576],
    ] as const) {
      t = at;
      scope.prune(dir, true);
      log.update(bytes, scope);
    }
    t = 23_000;
    log.stop();
    log.stop();
    expect(lines).toEqual([
      'vigil: agent: inventory of / started\n',
      'vigil: agent: inventory of /: 3 directories, 3.0 MiB of package files read, in /usr/lib (11 s)\n',
      'vigil: agent: inventory of /: 5 directories, 5.0 MiB of package files read, in /var (21 s)\n',
      'vigil: agent: inventory of / done: 5 directories, 5.0 MiB of package files read, in /var (23 s)\n',
    ]);
  });
});

describe('the running kernel', () => {
  it('is recorded (uname -r) when the agent inventories the host itself', async () => {
    // Only /etc (os-release) of the real root: the rest is excluded to keep the walk short.
    const { inventory, scope } = await collectHost({ root: '/', name: 'self', exclude: ['/!(etc)'], defaultExcludes: false });
    expect(inventory.target).toEqual({ type: 'host', name: 'self' });
    expect(inventory.os?.runningKernel).toBe(release());
    expect(scope.leftOut.map((l) => l.path)).toContain('/usr');
  });
});
