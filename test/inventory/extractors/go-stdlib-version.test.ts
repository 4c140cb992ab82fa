/** The Go toolchain name as a `stdlib` version, the way Go's advisories write versions. */
import { describe, expect, it } from 'vitest';
import { stdlibVersion } from '../../../src/inventory/extractors/go/golang.js';
import { schemeFor } from '../../../src/versioning/index.js';

describe('stdlibVersion', () => {
  it.each([
    ['go1.21.3', '1.21.3'],
    ['go1.19', '1.19'],
    ['go1.21rc2', '1.21.0-rc.2'],
    ['go1.19beta1', '1.19.0-beta.1'],
    ['go1.20.1 X:boringcrypto', '1.20.1'],
    // A vendor's build of a release is that release (osv-scalibr's toolchain-with-suffix case).
    ['go1.23.6-xyz', '1.23.6'],
    // A snapshot before go1.22.0 shipped: a pre-release, not 1.22.0.
    ['go1.22-20231128-RC02 cl/588184863 +ade0ba3b48 X:boringcrypto', '1.22.0-20231128-RC02'],
    ['v1.20', '1.20'],
    ['1.20.1', '1.20.1'],
    ['devel go1.23-abcdef Tue Jan 2 2024', undefined],
  ])('%s → %s', (toolchain, want) => {
    expect(stdlibVersion(toolchain)).toBe(want);
  });

  it('places a pre-release snapshot inside its line of Go advisories and below the release', () => {
    const go = schemeFor('Go');
    const snapshot = stdlibVersion('go1.22-20231128-RC02')!;
    // GO advisories open the 1.22 line at 1.22.0-0 and name rc releases 1.22.0-rc.N.
    expect(go.compare('1.22.0-0', snapshot)).toBeLessThan(0);
    expect(go.compare(snapshot, '1.22.0-rc.1')).toBeLessThan(0);
    expect(go.compare(snapshot, '1.22.0')).toBeLessThan(0);
    expect(go.compare('1.21.99', snapshot)).toBeLessThan(0);
  });
});
