/**
 * Route declaration with zod schemas: zod validates requests (and produces the 400
 * problem details), and the same schemas, converted to JSON Schema, make the OpenAPI
 * document. Each route names the roles that may call it; authentication and account
 * scoping happen before the handler runs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Db } from '../db/connect.js';
import type { Logger } from '../log.js';
import type { ScanEngine } from '../matching/types.js';
import type { Inventory } from '../inventory/types.js';
import type { Principal, Role } from './accounts.js';
import type { Metrics } from './metrics.js';

/** Pulls and inventories an image reference for an account (the server's `scanTarget`). */
export type ImagePuller = (reference: string, opts?: { accountId?: string; signal?: AbortSignal }) => Promise<Inventory>;

/** Turns a posted SBOM document (CycloneDX or SPDX JSON) into an inventory. */
export type SbomReader = (document: unknown, name: string) => Inventory;

/** Settings of a running server. */
export interface ServerConfig {
  /** Largest accepted request body in bytes (inventories and SBOMs), default 64 MiB. */
  maxInventoryBytes: number;
  /** Largest other request body, default 1 MiB. */
  maxBodyBytes: number;
  /** Submitted inventories with more packages than this are scanned as jobs (202), default 5,000. */
  asyncScanPackages: number;
  /** Advisory database the continuous runtime re-evaluates against (default: $VIGIL_VULNDB or the user cache). */
  vulndbPath?: string;
}

/** What route handlers share. */
export interface ServerContext {
  db: Db;
  /** The matching engine; without it scans answer 503. */
  engine?: ScanEngine;
  pullImage?: ImagePuller;
  readSbom?: SbomReader;
  log: Logger;
  metrics: Metrics;
  config: ServerConfig;
}

/** HTTP methods routes use. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A parsed request as a handler sees it. */
export interface Call<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  /** The caller; set on every route that declares roles. */
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

/** One route. */
export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined, P extends z.ZodType | undefined> {
  method: Method;
  /** Path, with `:param` segments. */
  url: string;
  summary: string;
  description?: string;
  /** OpenAPI tag (the resource). */
  tag: string;
  /** Roles allowed to call; `public` needs no key. `admin` is always allowed when roles are given. */
  roles: readonly Role[] | 'public';
  body?: B;
  query?: Q;
  params?: P;
  /** Response schemas by status, for the OpenAPI document. */
  responses?: Record<number, z.ZodType>;
  /** Overrides the body size limit. */
  bodyLimit?: number;
  handler(call: Call<Out<B>, Out<Q>, Out<P>>): Promise<unknown>;
}

/** Registers routes of one resource. */
export interface Router {
  route<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, P extends z.ZodType | undefined = undefined>(spec: RouteSpec<B, Q, P>): void;
  readonly ctx: ServerContext;
  readonly app: FastifyInstance;
}

/**
 * A route module: registers the routes of one resource. Modules are listed, one line
 * each, in `routes/index.ts`; to add one, write `routes/<resource>.ts` exporting a
 * `RouteModule` and append it there.
 */
export type RouteModule = (router: Router) => void;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    roles?: readonly Role[] | 'public';
  }
}
