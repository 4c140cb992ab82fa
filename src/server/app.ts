/**
 * The Fastify application: JSON API under /api/v1, OpenAPI 3.1 at /api/openapi.json,
 * /healthz, Prometheus /metrics, problem+json errors, API-key authentication with roles,
 * and the dashboard (web/dist) at / when it has been built.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z, ZodError } from 'zod';
import type { Db } from '../db/connect.js';
import { filterCriteriaInputSchema, filterCriteriaSchema } from '../findings/criteria.js';
import { log as rootLog, type Logger } from '../log.js';
import type { ScanEngine } from '../matching/types.js';
import { authenticate, type Role } from './accounts.js';
import { AuthThrottle, keyIdOf, type AuthThrottleOptions } from './auth-throttle.js';
import { createMetrics, type Metrics } from './metrics.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-depth.js';
import { HttpProblem, problemBody } from './problem.js';
import { accountRegistryLookup, registryPuller } from './pull.js';
import { addSecurityHeaders } from './security-headers.js';
import { fieldErrors } from './validation.js';
import type { ImagePuller, RouteSpec, Router, SbomReader, ServerConfig, ServerContext } from './router.js';
import { routeModules } from './routes/index.js';

/** Options of {@link buildApp}. */
export interface AppOptions {
  db: Db;
  engine?: ScanEngine;
  /** Pulls image references; default: registry images only ({@link registryPuller}). */
  pullImage?: ImagePuller;
  readSbom?: SbomReader;
  log?: Logger;
  config?: Partial<ServerConfig>;
  /** Directory of the built dashboard; default `web/dist` of the package, served when present. */
  webRoot?: string | false;
  /** Tuning of failed-authentication throttling (tests shorten it). */
  authThrottle?: AuthThrottleOptions;
}

/** A built app with its context. */
export interface VigilApp {
  app: FastifyInstance;
  ctx: ServerContext;
}

/** Schemas documented with another schema's shape (their input side is opaque to JSON Schema). */
const DOC_OVERRIDES = new Map<z.ZodType, z.ZodType>([[filterCriteriaInputSchema, filterCriteriaSchema]]);

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of a zod schema. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override(ctx) {
      const alt = DOC_OVERRIDES.get(ctx.zodSchema as unknown as z.ZodType);
      if (alt) {
        for (const k of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[k];
        const { $schema: _, ...rest } = z.toJSONSchema(alt, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
        Object.assign(ctx.jsonSchema, rest, { description: 'Filter criteria; Amazon Inspector FilterCriteria names are accepted too (see docs/api.md).' });
      }
    },
  }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

const ZOD = Symbol('zod');
type Tagged = { [ZOD]?: z.ZodType };

function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  const h = req.headers['x-api-key'];
  return typeof h === 'string' ? h : undefined;
}

/** Builds the app (not listening). */
export async function buildApp(opts: AppOptions): Promise<VigilApp> {
  const log = opts.log ?? rootLog.child({ component: 'server' });
  const config: ServerConfig = { maxInventoryBytes: 64 * 1024 * 1024, maxBodyBytes: 1024 * 1024, asyncScanPackages: 5000, ...opts.config };
  const metrics: Metrics = createMetrics();
  const app: FastifyInstance = Fastify({
    loggerInstance: log,
    bodyLimit: config.maxBodyBytes,
    // Request ids in logs and problem documents.
    requestIdHeader: false,
    ajv: { customOptions: { coerceTypes: false } },
  }) as unknown as FastifyInstance;
  const ctx: ServerContext = { db: opts.db, engine: opts.engine, pullImage: opts.pullImage, readSbom: opts.readSbom, log, metrics, config };

  // zod validates; the JSON Schemas it makes are only for the OpenAPI document.
  app.setValidatorCompiler(({ schema }) => {
    const zs = (schema as Tagged)[ZOD];
    return (data: unknown) => {
      if (!zs) return { value: data };
      const r = zs.safeParse(data);
      return r.success ? { value: r.data } : { error: r.error as unknown as Error };
    };
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // JSON bodies as fastify parses them, once their nesting is known to be bounded.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, raw, done) => {
    const body = typeof raw === 'string' ? raw : raw.toString('utf8');
    if (jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
      done(new HttpProblem(400, `the request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, [{ pointer: '/', detail: `nested deeper than ${MAX_JSON_DEPTH} levels` }], 'invalid-request'), undefined);
      return;
    }
    parseJson(req, body, done);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Vigil API', version: '1', description: 'Vulnerability management: resources, scans, findings, suppression rules, coverage and usage.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key `vgl_…` (also accepted in `X-API-Key`).' } } },
    },
    transform({ schema, url }) {
      if (!schema) return { schema, url };
      const s = { ...(schema as Record<string, unknown>) };
      for (const part of ['body', 'querystring', 'params'] as const) {
        const zs = (s[part] as Tagged | undefined)?.[ZOD];
        if (zs) s[part] = jsonSchemaOf(zs, 'input');
      }
      if (s.response) {
        const resp: Record<string, unknown> = {};
        for (const [code, r] of Object.entries(s.response as Record<string, Tagged>)) resp[code] = r[ZOD] ? jsonSchemaOf(r[ZOD], 'output') : r;
        s.response = resp;
      }
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return { schema: s as any, url };
    },
  });

  app.setErrorHandler((err: FastifyError | HttpProblem | ZodError, req, reply) => {
    let body;
    if (err instanceof HttpProblem) body = problemBody(err.status, err.message, { slug: err.slug, errors: err.errors });
    else if (err instanceof ZodError) body = problemBody(400, 'the request is invalid', { slug: 'invalid-request', errors: fieldErrors(err) });
    else if ((err as FastifyError).code === 'FST_ERR_VALIDATION') {
      const cause = (err as FastifyError & { validation?: unknown }).validation;
      const zerr = cause instanceof ZodError ? cause : (err as unknown as { cause?: unknown }).cause;
      const where = (err as FastifyError & { validationContext?: string }).validationContext ?? 'body';
      body = problemBody(400, `the request ${where} is invalid`, {
        slug: 'invalid-request',
        errors: zerr instanceof ZodError ? fieldErrors(zerr, `/${where}`) : [{ pointer: `/${where}`, detail: err.message }],
      });
    } else if (typeof (err as FastifyError).statusCode === 'number' && (err as FastifyError).statusCode! < 500) {
      body = problemBody((err as FastifyError).statusCode!, err.message);
    } else {
      req.log.error({ err, url: req.url }, 'request failed');
      body = problemBody(500, 'internal error; see the server log', { instance: `urn:request:${req.id}` });
    }
    if (body.status === 401) reply.header('www-authenticate', 'Bearer realm="vigil"');
    if (err instanceof HttpProblem && err.headers) reply.headers(err.headers);
    return reply.status(body.status).type('application/problem+json').send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).type('application/problem+json').send(problemBody(404, `no route ${req.method} ${req.url.split('?')[0]}`));
  });

  addSecurityHeaders(app);
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  const throttle = new AuthThrottle(opts.authThrottle);
  const tooMany = (ms: number, from: string) => {
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return new HttpProblem(429, `too many failed authentications from this ${from}; retry in ${seconds} s`, undefined, 'too-many-requests', { 'retry-after': String(seconds) });
  };
  const authorize = async (req: FastifyRequest, _reply: FastifyReply) => {
    const roles = req.routeOptions.config.roles;
    if (!roles || roles === 'public') return;
    const address = `address:${req.ip}`;
    const blocked = throttle.blockedFor(address);
    if (blocked > 0) throw tooMany(blocked, 'address');
    const key = presentedKey(req);
    if (!key) throw new HttpProblem(401, 'an API key is required (Authorization: Bearer vgl_…)', undefined, 'unauthorized');
    const principal = await authenticate(ctx.db, key);
    const keyId = keyIdOf(key);
    if (!principal) {
      const byAddress = throttle.fail(address, 'address');
      const byKey = keyId ? throttle.fail(`key:${keyId}`, 'key') : 0;
      if (byAddress > 0 || byKey > 0) {
        req.log.warn({ address: req.ip, keyId }, 'failed authentication throttled');
        throw tooMany(Math.max(byAddress, byKey), byAddress >= byKey ? 'address' : 'key id');
      }
      throw new HttpProblem(401, 'the API key is not valid or was revoked', undefined, 'unauthorized');
    }
    if (keyId) throttle.succeed(`key:${keyId}`);
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw new HttpProblem(403, `role ${principal.role} may not call ${req.method} ${req.routeOptions.url}`, undefined, 'forbidden');
    }
    req.principal = principal;
  };

  const tag = (schema: z.ZodType | undefined): Tagged | undefined => (schema ? ({ [ZOD]: schema, type: 'object' } as Tagged) : undefined);
  const router: Router = {
    ctx,
    app,
    route<B extends z.ZodType | undefined, Q extends z.ZodType | undefined, P extends z.ZodType | undefined>(spec: RouteSpec<B, Q, P>) {
      const responses = spec.responses ? Object.fromEntries(Object.entries(spec.responses).map(([k, v]) => [k, tag(v)])) : undefined;
      app.route({
        method: spec.method,
        url: spec.url,
        bodyLimit: spec.bodyLimit,
        config: { roles: spec.roles },
        schema: {
          summary: spec.summary,
          description: spec.description,
          tags: [spec.tag],
          ...(spec.roles === 'public' ? {} : { security: [{ apiKey: [] }] }),
          ...(spec.body ? { body: tag(spec.body) } : {}),
          ...(spec.query ? { querystring: tag(spec.query) } : {}),
          ...(spec.params ? { params: tag(spec.params) } : {}),
          ...(responses ? { response: responses } : {}),
        },
        preHandler: authorize,
        handler: async (request, reply) => {
          const result = await spec.handler({
            body: request.body as never,
            query: request.query as never,
            params: request.params as never,
            principal: request.principal!,
            request,
            reply,
          });
          return result;
        },
      });
    },
  };
  // Pulls use the caller's own registry on the named host (its credentials and policy).
  ctx.pullImage ??= registryPuller({ lookup: accountRegistryLookup(router) });
  for (const register of routeModules) register(router);
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const webRoot = opts.webRoot === false ? undefined : opts.webRoot ?? fileURLToPath(new URL('../../web/dist', import.meta.url));
  if (webRoot && existsSync(webRoot)) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', wildcard: false, index: 'index.html' });
    // Client-side routes of the dashboard fall back to its index page.
    app.get('/*', { schema: { hide: true } }, (req, reply) => {
      if (req.url.startsWith('/api/')) return reply.status(404).type('application/problem+json').send(problemBody(404, `no route ${req.method} ${req.url.split('?')[0]}`));
      return reply.sendFile('index.html');
    });
  }
  return { app, ctx };
}

/** Allowed roles helper for route declarations. */
export const READ: readonly Role[] = ['viewer'];
