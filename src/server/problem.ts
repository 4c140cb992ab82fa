/**
 * RFC 9457 problem details: every error the API returns is `application/problem+json`
 * with a type, title, status and detail (and, for invalid requests, the failing fields).
 */

/** One invalid field of a request. */
export interface FieldError {
  /** JSON-pointer-like path, e.g. `/filterCriteria/severity/0/value`. */
  pointer: string;
  detail: string;
}

/** A problem details body. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** An error the API answers with a problem document. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly errors?: FieldError[],
    /** A stable problem type slug, e.g. `invalid-request`. */
    readonly slug?: string,
    /** Headers the answer carries too, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

/** Builds the problem body for a status and detail. */
export function problemBody(status: number, detail: string | undefined, opts: { slug?: string; errors?: FieldError[]; instance?: string } = {}): ProblemBody {
  const title = TITLES[status] ?? 'Error';
  const slug = opts.slug ?? title.toLowerCase().replace(/[^a-z]+/g, '-');
  return {
    type: `https://vigil.dev/problems/${slug}`,
    title,
    status,
    ...(detail ? { detail } : {}),
    ...(opts.instance ? { instance: opts.instance } : {}),
    ...(opts.errors?.length ? { errors: opts.errors } : {}),
  };
}

/** Shorthands. */
export const notFound = (what: string) => new HttpProblem(404, `${what} not found`, undefined, 'not-found');
export const forbidden = (detail: string) => new HttpProblem(403, detail, undefined, 'forbidden');
export const badRequest = (detail: string, errors?: FieldError[]) => new HttpProblem(400, detail, errors, 'invalid-request');
