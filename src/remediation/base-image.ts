/**
 * Base-image advice: for an image whose base is known, which stored image of the base's
 * repository to rebuild on — the one that clears the most of the image's base findings
 * ("rebuild on debian:12.9 — clears 41 of 47 base findings").
 */
import type { Db } from '../db/connect.js';
import type { ResourcesTable } from '../db/schema.js';
import { findBase } from './origin.js';
import type { PlanFinding } from './plan.js';

/** What the plan says about an image's base: how it was found, and which stored image to rebuild on. */
export interface BaseImageAdvice {
  base: { name?: string; digest?: string; resourceId?: string; via: 'ANNOTATION' | 'LAYERS' };
  /** ACTIVE findings of the image that came with its base. */
  baseFindings: number;
  recommendation?: {
    /** `repository:tag` of the stored image to rebuild on. */
    image: string;
    resourceId: string;
    digest?: string;
    /** Base findings the image does not have. */
    clears: number;
    of: number;
    /** ACTIVE findings of that image this one's base findings do not include. */
    introduces: number;
    /** "rebuild on debian:12.9 — clears 41 of 47 base findings". */
    summary: string;
  };
}

const keyOf = (vulnerability: string, pkg: string) => `${vulnerability}\u0000${pkg}`;

/** A short `repository:tag` for people: no registry host, no `library/`. */
function shortName(repository: string, tag: string | undefined): string {
  return `${repository.replace(/^library\//, '')}${tag ? `:${tag}` : ''}`;
}

/** The advice for image `resource` with its ACTIVE plan findings; undefined when its base is unknown. */
export async function baseImageAdvice(db: Db, resource: ResourcesTable, findings: readonly PlanFinding[]): Promise<BaseImageAdvice | undefined> {
  if (resource.type !== 'CONTAINER_IMAGE') return undefined;
  const row = await db.kysely.selectFrom('image_layers').selectAll().where('resource_id', '=', resource.id).executeTakeFirst();
  if (!row) return undefined;
  const found = await findBase(db, row);
  const annotated = row.base_name ?? row.base_digest ?? undefined;
  if (!found) return annotated ? { base: { name: row.base_name ?? undefined, digest: row.base_digest ?? undefined, via: 'ANNOTATION' }, baseFindings: 0 } : undefined;
  const base = await db.kysely.selectFrom('resources').selectAll().where('id', '=', found.resourceId).executeTakeFirstOrThrow();
  const baseKeys = new Set(findings.filter((f) => f.origin === 'BASE_IMAGE').map((f) => keyOf(f.id, f.package.name)));
  const advice: BaseImageAdvice = {
    base: {
      // The stored image found is the base; an annotation may spell it otherwise (docker.io/library/debian:bookworm).
      name: base.image_repository ? shortName(base.image_repository, (JSON.parse(base.image_tags) as string[])[0]) : base.name,
      ...(base.image_digest ?? row.base_digest ? { digest: base.image_digest ?? row.base_digest ?? undefined } : {}),
      resourceId: base.id,
      via: found.via,
    },
    baseFindings: baseKeys.size,
  };
  if (!base.image_repository || baseKeys.size === 0) return advice;

  // Other stored images of the base's repository, newer than the base where both say when they were built.
  const baseCreated = (await db.kysely.selectFrom('image_layers').select('created').where('resource_id', '=', base.id).executeTakeFirst())?.created ?? undefined;
  let q = db.kysely
    .selectFrom('resources')
    .leftJoin('image_layers', 'image_layers.resource_id', 'resources.id')
    .select(['resources.id', 'resources.image_repository', 'resources.image_tags', 'resources.image_digest', 'image_layers.created'])
    .where('resources.account_id', '=', resource.account_id)
    .where('resources.type', '=', 'CONTAINER_IMAGE')
    .where('resources.image_repository', '=', base.image_repository)
    .where('resources.id', 'not in', [base.id, resource.id]);
  q = base.image_registry === null ? q.where('resources.image_registry', 'is', null) : q.where('resources.image_registry', '=', base.image_registry);
  const candidates = (await q.execute()).filter((c) => !baseCreated || !c.created || c.created > baseCreated);

  let best: (NonNullable<BaseImageAdvice['recommendation']> & { created?: string }) | undefined;
  for (const c of candidates) {
    const rows = await db.kysely.selectFrom('findings').select(['vulnerability_id', 'package_name']).where('resource_id', '=', c.id).where('status', '=', 'ACTIVE').execute();
    const has = new Set(rows.map((r) => keyOf(r.vulnerability_id, r.package_name)));
    const clears = [...baseKeys].filter((k) => !has.has(k)).length;
    const introduces = [...has].filter((k) => !baseKeys.has(k)).length;
    const better = !best || clears > best.clears || (clears === best.clears && (introduces < best.introduces || (introduces === best.introduces && (c.created ?? '') > (best.created ?? ''))));
    if (clears > 0 && better) {
      const image = shortName(c.image_repository!, (JSON.parse(c.image_tags) as string[])[0]);
      best = {
        image,
        resourceId: c.id,
        ...(c.image_digest ? { digest: c.image_digest } : {}),
        clears,
        of: baseKeys.size,
        introduces,
        summary: `rebuild on ${image} — clears ${clears} of ${baseKeys.size} base findings${introduces ? ` (brings ${introduces} of its own)` : ''}`,
        ...(c.created ? { created: c.created } : {}),
      };
    }
  }
  if (best) {
    const { created: _, ...recommendation } = best;
    advice.recommendation = recommendation;
  }
  return advice;
}
