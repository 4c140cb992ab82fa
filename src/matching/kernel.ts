/**
 * Which packages are the Linux kernel, and which of them is running. A container never runs
 * its image's kernel, so kernel findings in images are noise (the most common complaint about
 * peers' results); on a host only the running kernel matters.
 */
import type { Package, TargetInfo } from '../inventory/types.js';

// Debian and Ubuntu build every kernel binary (images, modules, linux-libc-dev, perf) from
// these sources; distro data is keyed by them, so the source name decides.
const DEB_KERNEL_SOURCE =
  /^linux(-signed)?(-(\d[\d.]*|amd64|arm64|i386|armhf|ppc64el|s390x|mips64el|aws|azure|gcp|gke|gkeop|oracle|kvm|hwe|oem|lowlatency|ibm|raspi|riscv|nvidia|intel|iot|realtime|xilinx|bluefield|fips|lts|meta)([-.\w]*))*$/;
const NOT_KERNEL = new Set(['linux-base', 'linux-firmware', 'linux-firmware-nonfree', 'linux-atm', 'linux-ftpd', 'linux-pam']);

/** True when the package is (built from) the Linux kernel. */
export function isKernelPackage(pkg: Package): boolean {
  if (pkg.kernel) return true;
  const source = pkg.source?.name ?? pkg.name;
  switch (pkg.purlType) {
    case 'deb':
      return !NOT_KERNEL.has(source) && DEB_KERNEL_SOURCE.test(source);
    case 'rpm':
      // kernel, kernel-core, kernel-modules, kernel-headers… all come from the kernel SRPM.
      return /^kernel(-|$)/.test(pkg.name) || /^kernel(-[\w.]+)?$/.test(pkg.source?.name ?? '');
    case 'apk':
      return /^linux-(lts|virt|edge|rpi\d*)$/.test(source);
    default:
      return false;
  }
}

/** Image targets: they run on someone else's kernel. */
export function isImageTarget(target: Pick<TargetInfo, 'type'>): boolean {
  return target.type === 'oci-dir' || target.type === 'docker-archive' || target.type === 'oci-archive' || target.type === 'registry';
}

/**
 * True when this kernel package belongs to the running kernel (`uname -r`): Debian and
 * Ubuntu put the release in the binary name (`linux-image-6.1.0-18-amd64`), RPM distros in
 * version-release (`5.14.0-362.8.1.el9_3` of `5.14.0-362.8.1.el9_3.x86_64`).
 */
export function isRunningKernel(pkg: Package, runningKernel: string): boolean {
  const release = runningKernel.trim();
  if (!release) return false;
  if (pkg.name.endsWith(`-${release}`) || pkg.name.includes(`-${release}-`)) return true;
  const version = pkg.version.replace(/^\d+:/, '');
  return release === version || release.startsWith(`${version}.`) || release.startsWith(`${version}+`);
}
