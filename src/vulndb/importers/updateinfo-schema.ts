/**
 * zod schema for yum/dnf `updateinfo.xml` as fast-xml-parser reads it (attributes as plain
 * keys, text as `#text` when an element also has attributes). Lenient where repositories
 * differ (Amazon, Fedora, Oracle and the RHEL clones fill different optional fields), strict on
 * what matching needs: an id, and each package's name, version and release.
 */
import { z } from 'zod';

const text = z.union([z.string(), z.number()], { error: 'missing or not text' }).transform(String);
/** An element that may be text or `{ '#text': …, attr… }`. */
const textNode = z.union([text, z.looseObject({ '#text': text.optional() }).transform((o) => o['#text'] ?? '')]);
const dateNode = z.looseObject({ date: text.optional() });

/** One `<package>` of a `<collection>`. */
export const updateinfoPackageSchema = z.looseObject({
  name: text.pipe(z.string().min(1, 'empty package name')),
  epoch: text.optional(),
  version: text.pipe(z.string().min(1, 'empty version')),
  release: text.pipe(z.string().min(1, 'empty release')),
  arch: text.optional(),
  src: text.optional(),
});

/** One `<update>`. */
export const updateinfoUpdateSchema = z.looseObject({
  type: text.optional(),
  status: text.optional(),
  id: textNode.pipe(z.string().trim().min(1, 'empty id')),
  title: textNode.optional(),
  severity: textNode.optional(),
  description: textNode.optional(),
  issued: dateNode.optional(),
  updated: dateNode.optional(),
  references: z
    .looseObject({ reference: z.array(z.looseObject({ href: text.optional(), id: text.optional(), type: text.optional(), title: text.optional() })).optional() })
    .or(z.literal('').transform(() => ({ reference: [] })))
    .optional(),
  pkglist: z
    .looseObject({ collection: z.array(z.looseObject({ package: z.array(z.unknown()).optional() })).optional() })
    .or(z.literal('').transform(() => ({ collection: [] })))
    .optional(),
});

/** The document: `<updates>` with any number of `<update>`. */
export const updateinfoSchema = z.looseObject({
  updates: z.union([z.looseObject({ update: z.array(z.unknown()).optional() }), z.literal('').transform(() => ({ update: [] }))]),
});
