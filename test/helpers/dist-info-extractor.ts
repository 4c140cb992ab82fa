import type { Extractor } from '../../src/inventory/types.js';

/**
 * A stand-in Python extractor reading only dist-info METADATA names and versions, so that
 * OS-package ownership is checked without depending on the language extractors' path rules.
 */
export const distInfoStandIn: Extractor = {
  id: 'test/dist-info',
  version: 1,
  fileRequired: (path) => path.endsWith('.dist-info/METADATA'),
  async extract(file) {
    const text = (await file.read()).toString('utf8');
    return [{ purlType: 'pypi', name: /^Name: (.+)$/m.exec(text)![1], version: /^Version: (.+)$/m.exec(text)![1] }];
  },
};
