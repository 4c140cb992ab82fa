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

// The kernel itself (images and modules): what `uname -r` can name. Everything else built
// from the kernel's source (linux-libc-dev, linux-headers-*, linux-kbuild-*, linux-perf,
// bpftool, linux-cpupower, kernel-headers, kernel-tools, perf…) is headers or user-space tools.
const KERNEL_ITSELF: Record<string, RegExp> = {
  deb: /^linux-(image|modules|modules-extra|signed-image)-/,
  rpm: /^kernel(-(core|modules|modules-core|modules-extra|default|uek|uek-core|rt|rt-core|64k|64k-core|lpae|azure|zfcpdump|debug|debug-core))?$/,
  apk: /^linux-(lts|virt|edge|rpi\d*|stable)$/,
};

/**
 * True for a package built from the kernel's source that is not the kernel (headers, build
 * files and user-space tools): the kernel's advisories name its source package, but the code
 * they are about runs only in the kernel, which such a package does not contain or run.
 */
export function isKernelSourceOnly(pkg: Package): boolean {
  if (pkg.kernel || !isKernelPackage(pkg)) return false;
  return !(KERNEL_ITSELF[pkg.purlType]?.test(pkg.name) ?? false);
}

/** The reason a finding in a {@link isKernelSourceOnly} package is scored 0 (kernel source package policy). */
export function kernelSourceReason(pkg: Package): string {
  const source = pkg.source?.name ?? pkg.name;
  return `kernel source package policy: ${pkg.name} is built from the kernel source (${source}) but is not the kernel; the vulnerability is in kernel code, judged on the running kernel's package`;
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
