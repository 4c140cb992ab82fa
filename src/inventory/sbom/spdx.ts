/**
 * SPDX 2.3 JSON out of an inventory. The document describes one package for the target;
 * the target CONTAINS every package, and an OS package CONTAINS the language packages whose
 * files it installed. PURLs are `PACKAGE-MANAGER` external references; Vigil's own facts are
 * package annotations (`vigil:name=value` lines) so the document reads back losslessly.
 */
import { randomUUID } from 'node:crypto';
import type { Inventory, Package } from '../types.js';
import { VIGIL_VERSION, ownerIndex, packageProperties, targetProperties } from './common.js';

/** An SPDX 2.3 document, as far as Vigil writes one. */
export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}

/** One SPDX package. */
export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  primaryPackagePurpose?: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  licenseConcluded: 'NOASSERTION';
  licenseDeclared: string;
  copyrightText: 'NOASSERTION';
  sourceInfo?: string;
  externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
  annotations?: { annotationDate: string; annotationType: 'OTHER'; annotator: string; comment: string }[];
}

function spdxId(n: number): string {
  return `SPDXRef-Package-${n}`;
}

function annotations(props: [string, string][], date: string): SpdxPackage['annotations'] {
  if (props.length === 0) return undefined;
  return props.map(([k, v]) => ({ annotationDate: date, annotationType: 'OTHER', annotator: `Tool: vigil-${VIGIL_VERSION}`, comment: `${k}=${v}` }));
}

function spdxPackage(pkg: Package, id: string, date: string): SpdxPackage {
  const license = pkg.metadata?.license;
  return {
    SPDXID: id,
    name: pkg.name,
    versionInfo: pkg.version,
    primaryPackagePurpose: 'LIBRARY',
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    // Licence strings from package databases are not always SPDX expressions: keep them as annotations.
    licenseDeclared: license && /^[A-Za-z0-9.+-]+$/.test(license) ? license : 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    sourceInfo: pkg.locations.length ? `acquired package info from ${pkg.extractor}: ${pkg.locations.join(', ')}` : undefined,
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }],
    annotations: annotations(packageProperties(pkg), date),
  };
}

/** The inventory as an SPDX 2.3 JSON document. */
export function toSpdx(inventory: Inventory): SpdxDocument {
  const date = new Date(inventory.scannedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const t = inventory.target;
  const root: SpdxPackage = {
    SPDXID: 'SPDXRef-Target',
    name: t.name,
    versionInfo: t.digest,
    primaryPackagePurpose: t.type === 'dir' || t.type === 'file' ? 'FILE' : 'CONTAINER',
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    annotations: annotations(targetProperties(inventory), date),
  };
  const packages: SpdxPackage[] = [root];
  const relationships: SpdxDocument['relationships'] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Target' }];
  if (inventory.os) {
    packages.push({
      SPDXID: 'SPDXRef-OperatingSystem',
      name: inventory.os.id,
      versionInfo: inventory.os.versionId,
      primaryPackagePurpose: 'OPERATING-SYSTEM',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
    });
    relationships.push({ spdxElementId: 'SPDXRef-Target', relationshipType: 'CONTAINS', relatedSpdxElement: 'SPDXRef-OperatingSystem' });
  }
  const { ownerOf } = ownerIndex(inventory.packages);
  for (const [i, pkg] of inventory.packages.entries()) {
    packages.push(spdxPackage(pkg, spdxId(i + 1), date));
    const owner = ownerOf[i];
    relationships.push({
      spdxElementId: owner === undefined ? 'SPDXRef-Target' : spdxId(owner + 1),
      relationshipType: 'CONTAINS',
      relatedSpdxElement: spdxId(i + 1),
    });
  }
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: t.name,
    documentNamespace: `https://vigil.invalid/spdx/${encodeURIComponent(t.name)}-${randomUUID()}`,
    creationInfo: { created: date, creators: [`Tool: vigil-${VIGIL_VERSION}`] },
    packages,
    relationships,
  };
}

/** The inventory as SPDX 2.3 JSON text. */
export function toSpdxJson(inventory: Inventory): string {
  return JSON.stringify(toSpdx(inventory), null, 2);
}
