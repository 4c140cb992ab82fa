/**
 * The mounts under a host's root and which of them the agent walks. A live root has pseudo
 * filesystems (proc, sysfs, tmpfs, cgroup…) and often network shares (NFS, SMB, sshfs):
 * nothing is installed in the first, and walking the second is slow, loads a file server and
 * inventories another machine's files. Read from `/proc/self/mountinfo`, so the decision costs
 * one set lookup per directory instead of a stat.
 */
import { readFileSync } from 'node:fs';

/** Which mounts under the root the agent walks besides the root's own filesystem. */
export type MountPolicy = 'local' | 'none' | 'all';
/** The policies, for the command line. */
export const MOUNT_POLICIES: readonly MountPolicy[] = ['local', 'none', 'all'];

/** One line of mountinfo: where, what and from which device. */
export interface MountEntry {
  /** `major:minor` of the filesystem's device. */
  device: string;
  mountPoint: string;
  fsType: string;
}

// Filesystems on local disks (or images of them): where installed software lives.
const LOCAL_FS = new Set([
  'ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'f2fs', 'jfs', 'reiserfs', 'bcachefs', 'nilfs2', 'vfat', 'exfat', 'ntfs', 'ntfs3',
  'fuseblk', 'hfsplus', 'ufs', 'squashfs', 'erofs', 'iso9660', 'udf', 'overlay',
]); // prettier-ignore
// Filesystems served by another machine.
const NETWORK_FS = new Set([
  'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ceph', 'glusterfs', 'fuse.glusterfs', 'fuse.sshfs', 'sshfs', '9p', 'virtiofs', 'afs',
  'lustre', 'gpfs', 'davfs', 'fuse.s3fs', 'fuse.rclone', 'fuse.cephfs', 'ocfs2', 'gfs2',
]); // prettier-ignore

/** What kind of filesystem a mount is: local disk, network share, or pseudo (everything else: proc, tmpfs, cgroup, FUSE…). */
export function mountKind(fsType: string): 'local' | 'network' | 'pseudo' {
  if (LOCAL_FS.has(fsType)) return 'local';
  if (NETWORK_FS.has(fsType)) return 'network';
  return 'pseudo';
}

/** mountinfo escapes space, tab, newline and backslash in paths as octal (`\040`). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses `/proc/self/mountinfo` (see proc(5)); malformed lines are skipped. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (fields.length < 7 || dash < 0 || dash + 1 >= fields.length) continue;
    out.push({ device: fields[2], mountPoint: unescape(fields[4]), fsType: fields[dash + 1] });
  }
  return out;
}

/** This process's mount table; empty where there is none to read (not Linux). */
export function readMounts(path = '/proc/self/mountinfo'): MountEntry[] {
  try {
    return parseMountInfo(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

/** A mount the walk leaves out, by its path inside the root. */
export interface SkippedMount {
  path: string;
  fsType: string;
  kind: 'local' | 'network' | 'pseudo';
}

/**
 * The mounts strictly under `root` that `policy` leaves out, keyed by their path inside the
 * root (`/proc`, `/mnt/share`). `none` is `--one-file-system`: every mount of another device
 * than the root's (bind mounts of the root's own filesystem stay). `local` also walks other
 * local disk filesystems (a separate /var or /usr holds installed packages). `all` walks
 * everything. The last mount of a path wins, as it hides those below it.
 */
export function mountsToSkip(root: string, mounts: readonly MountEntry[], policy: MountPolicy): Map<string, SkippedMount> {
  const skip = new Map<string, SkippedMount>();
  if (policy === 'all') return skip;
  const base = root.replace(/\/+$/, '');
  let rootDevice: string | undefined;
  let rootDepth = -1;
  for (const m of mounts) {
    const covers = m.mountPoint === '/' || base === m.mountPoint || base.startsWith(`${m.mountPoint}/`);
    if (covers && m.mountPoint.length >= rootDepth) {
      rootDevice = m.device;
      rootDepth = m.mountPoint.length;
    }
  }
  for (const m of mounts) {
    if (!m.mountPoint.startsWith(`${base}/`)) continue;
    const path = m.mountPoint.slice(base.length);
    const kind = mountKind(m.fsType);
    const leave = policy === 'none' ? m.device !== rootDevice : kind !== 'local';
    if (leave) skip.set(path, { path, fsType: m.fsType, kind });
    else skip.delete(path);
  }
  return skip;
}
