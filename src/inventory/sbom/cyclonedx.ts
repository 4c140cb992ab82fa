/**
 * CycloneDX 1.6 JSON out of an inventory, through `@cyclonedx/cyclonedx-library`. Each
 * package is a `library` component with its PURL; Vigil's own facts (ecosystem, locations,
 * layer, extractor, source package) ride along as `vigil:*` properties so the SBOM reads back
 * into the same inventory. A language package owned by an OS package is nested inside that
 * package's component (CycloneDX's containment relationship).
 */
import { randomUUID } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import type { PackageURL } from 'packageurl-js';
import type { Inventory, Package } from '../types.js';
import { VIGIL_VERSION, ownerIndex, packageProperties, parsePurl, targetProperties } from './common.js';

function component(pkg: Package, bomRef: string): Models.Component {
  let purl: PackageURL | undefined;
  try {
    purl = parsePurl(pkg.purl);
  } catch {
    purl = undefined;
  }
  const c = new Models.Component(Enums.ComponentType.Library, purl?.name ?? pkg.name, {
    bomRef,
    version: pkg.version,
    group: purl?.namespace ?? undefined,
    purl: pkg.purl,
  });
  for (const [name, value] of packageProperties(pkg)) c.properties.add(new Models.Property(name, value));
  return c;
}

/** The inventory as a CycloneDX 1.6 JSON document (a string, pretty-printed). */
export function toCycloneDxJson(inventory: Inventory): string {
  const bom = new Models.Bom();
  bom.serialNumber = `urn:uuid:${randomUUID()}`;
  bom.metadata.timestamp = new Date(inventory.scannedAt);
  bom.metadata.tools.components.add(new Models.Component(Enums.ComponentType.Application, 'vigil', { version: VIGIL_VERSION }));
  const t = inventory.target;
  const isImage = t.type === 'oci-dir' || t.type === 'oci-archive' || t.type === 'docker-archive' || t.type === 'registry';
  const root = new Models.Component(isImage ? Enums.ComponentType.Container : Enums.ComponentType.File, t.name, {
    bomRef: 'vigil:target',
    version: t.digest,
  });
  for (const [name, value] of targetProperties(inventory)) root.properties.add(new Models.Property(name, value));
  bom.metadata.component = root;
  if (inventory.os) {
    const os = new Models.Component(Enums.ComponentType.OperatingSystem, inventory.os.id, {
      bomRef: 'vigil:os',
      version: inventory.os.versionId,
      description: inventory.os.prettyName,
    });
    bom.components.add(os);
    root.dependencies.add(os.bomRef);
  }
  const { refs, ownerOf } = ownerIndex(inventory.packages);
  const components = new Map<Package, Models.Component>();
  for (const [i, pkg] of inventory.packages.entries()) components.set(pkg, component(pkg, refs[i]));
  for (const [i, pkg] of inventory.packages.entries()) {
    const c = components.get(pkg)!;
    const owner = ownerOf[i];
    if (owner !== undefined) {
      components.get(inventory.packages[owner])!.components.add(c);
    } else {
      bom.components.add(c);
      root.dependencies.add(c.bomRef);
    }
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: false, space: 2 });
}
