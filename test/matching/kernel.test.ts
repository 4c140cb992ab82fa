import { describe, expect, it } from 'vitest';
import { isImageTarget, isKernelPackage, isRunningKernel } from '../../src/matching/kernel.js';
import { deb, pkg } from './fixtures.js';

describe('isKernelPackage', () => {
  const cases: [string, Parameters<typeof isKernelPackage>[0], boolean][] = [
    ['marked by the extractor', pkg({ purlType: 'deb', name: 'anything', version: '1', kernel: true }), true],
    ['Debian kernel image, by source', deb('linux-image-6.1.0-18-amd64', '6.1.76-1', ['linux-signed-amd64', '6.1.76+1']), true],
    ['linux-libc-dev: built from the kernel source', deb('linux-libc-dev', '6.1.76-1', ['linux', '6.1.76-1']), true],
    ['the 6.12 backport', deb('linux-image-6.12.9-amd64', '6.12.9-1~bpo12+1', ['linux-signed-6.12-amd64', '6.12.9+1']), true],
    ['Ubuntu HWE kernel', pkg({ purlType: 'deb', name: 'linux-image-6.5.0-14-generic', version: '6.5.0-14.14~22.04.1', source: { name: 'linux-hwe-6.5', version: '6.5.0-14.14~22.04.1' } }), true],
    ['firmware is not the kernel', deb('firmware-linux-free', '20200122-1', ['linux-firmware-free', '20200122-1']), false],
    ['linux-base is not the kernel', deb('linux-base', '4.9', ['linux-base', '4.9']), false],
    ['PAM is not the kernel', deb('libpam0g', '1.5.2-6', ['pam', '1.5.2-6']), false],
    ['RPM kernel-core', pkg({ purlType: 'rpm', name: 'kernel-core', version: '5.14.0-362.8.1.el9_3' }), true],
    ['RPM kernel-headers', pkg({ purlType: 'rpm', name: 'kernel-headers', version: '5.14.0-362.8.1.el9_3' }), true],
    ['RPM kernelshark is not the kernel', pkg({ purlType: 'rpm', name: 'kernelshark', version: '2.2' }), false],
    ['Alpine linux-lts', pkg({ purlType: 'apk', name: 'linux-lts', version: '6.6.7-r0', source: { name: 'linux-lts', version: '6.6.7-r0' } }), true],
    ['Alpine linux-pam is not the kernel', pkg({ purlType: 'apk', name: 'linux-pam', version: '1.5.3-r7', source: { name: 'linux-pam', version: '1.5.3-r7' } }), false],
    ['npm packages never are', pkg({ purlType: 'npm', name: 'linux', version: '1.0.0' }), false],
  ];
  it.each(cases)('%s', (_name, p, want) => expect(isKernelPackage(p)).toBe(want));
});

describe('isRunningKernel', () => {
  it('reads the release from Debian package names and RPM version-release', () => {
    expect(isRunningKernel(deb('linux-image-6.1.0-18-amd64', '6.1.76-1'), '6.1.0-18-amd64')).toBe(true);
    expect(isRunningKernel(deb('linux-image-6.1.0-17-amd64', '6.1.69-1'), '6.1.0-18-amd64')).toBe(false);
    expect(isRunningKernel(deb('linux-modules-6.5.0-14-generic', '6.5.0-14.14'), '6.5.0-14-generic')).toBe(true);
    expect(isRunningKernel(pkg({ purlType: 'rpm', name: 'kernel-core', version: '5.14.0-362.8.1.el9_3' }), '5.14.0-362.8.1.el9_3.x86_64')).toBe(true);
    expect(isRunningKernel(pkg({ purlType: 'rpm', name: 'kernel-core', version: '5.14.0-284.11.1.el9_2' }), '5.14.0-362.8.1.el9_3.x86_64')).toBe(false);
    expect(isRunningKernel(deb('linux-image-6.1.0-18-amd64', '6.1.76-1'), '')).toBe(false);
  });

  it('knows which targets are images', () => {
    expect(['oci-dir', 'docker-archive', 'oci-archive', 'registry'].every((type) => isImageTarget({ type: type as 'registry' }))).toBe(true);
    expect(['dir', 'host', 'sbom', 'file'].some((type) => isImageTarget({ type: type as 'dir' }))).toBe(false);
  });
});
