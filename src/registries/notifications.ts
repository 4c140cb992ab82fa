import { z } from 'zod';

/** Manifest media types that name an image (indexes are skipped: each platform manifest arrives as its own event). */
export const imageManifestTypes: readonly string[] = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

/** Manifest list / index media types. */
export const indexManifestTypes: readonly string[] = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

/** Largest notification body accepted (the registry batches events). */
export const maxEnvelopeBytes = 1024 * 1024;

const eventSchema = z.object({
  id: z.string().optional(),
  timestamp: z.string().optional(),
  action: z.string(),
  target: z
    .object({
      mediaType: z.string().optional(),
      digest: z.string().optional(),
      repository: z.string().optional(),
      tag: z.string().optional(),
      url: z.string().optional(),
      size: z.number().optional(),
    })
    .loose()
    .optional(),
  request: z.object({ addr: z.string().optional(), host: z.string().optional(), method: z.string().optional(), useragent: z.string().optional() }).loose().optional(),
  source: z.object({ addr: z.string().optional() }).loose().optional(),
});

/** The CNCF distribution notification envelope (lenient: unknown fields are kept out of the way). */
export const envelopeSchema = z.object({ events: z.array(eventSchema).max(10_000) });

/** What Vigil takes from one registry event. */
export interface RegistryAction {
  action: 'push' | 'pull';
  repository: string;
  digest: string;
  mediaType: string;
  tag?: string;
  at: Date;
}

/** Result of reading one envelope. */
export interface ParsedNotification {
  actions: RegistryAction[];
  /** Events skipped, with why (blob events, deletes, indexes, malformed entries). */
  skipped: { index: number; reason: string }[];
}

const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * Reads a notification body: keeps manifest pushes and pulls of image manifests; skips blob
 * events (`application/octet-stream`), indexes, deletes and mounts, each with a reason.
 * Throws on a body that is not the envelope at all.
 */
export function parseNotification(body: unknown): ParsedNotification {
  const parsed = envelopeSchema.safeParse(body);
  if (!parsed.success) throw new Error(`registry notification is not a {"events": [...]} envelope: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const actions: RegistryAction[] = [];
  const skipped: ParsedNotification['skipped'] = [];
  parsed.data.events.forEach((ev, index) => {
    if (ev.action !== 'push' && ev.action !== 'pull') return skipped.push({ index, reason: `action ${ev.action}` });
    const t = ev.target;
    const mediaType = t?.mediaType ?? '';
    if (indexManifestTypes.includes(mediaType)) return skipped.push({ index, reason: `index manifest ${mediaType}` });
    if (!imageManifestTypes.includes(mediaType)) return skipped.push({ index, reason: `media type ${mediaType || 'missing'}` });
    if (!t?.repository || !t.digest || !digestPattern.test(t.digest)) return skipped.push({ index, reason: 'missing repository or digest' });
    const at = ev.timestamp ? new Date(ev.timestamp) : new Date();
    actions.push({
      action: ev.action,
      repository: t.repository,
      digest: t.digest,
      mediaType,
      ...(t.tag ? { tag: t.tag } : {}),
      at: Number.isNaN(at.getTime()) ? new Date() : at,
    });
  });
  return { actions, skipped };
}
