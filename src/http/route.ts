import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { ReadTarget } from '../domain/restriction.js';
import type { Principal, Role } from '../domain/roles.js';

/** Who may call a route: a list of roles (admin always may), any signed-in user, or anyone. */
export type Access = readonly Role[] | 'any' | 'public';

export type HandlerContext<P, Q, B> = {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  req: Request;
  res: Response;
};

/** A reply other than JSON with the route's status: a file, a stream, or a different status. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * One HTTP route, declared once: the app mounts it, guards it with `access`, validates its
 * input with the zod schemas, and the OpenAPI document and the role-matrix test read it.
 */
export type RouteDef<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  access: Access;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** For multipart routes: field names and which are files (OpenAPI only; multer parses). */
  multipart?: { files: string[]; fields: z.ZodType; maxFiles?: number };
  response: { status: number; schema?: z.ZodType; contentType?: string; description?: string };
  /** Middleware run after authentication and the role check, before input parsing (e.g. a per-user rate limit). */
  before?: RequestHandler[];
  /**
   * What the route reads, by path parameter: the route layer refuses a restricted customer's
   * dossier or document (GDPR art. 18, 403 `restricted`) to everyone but compliance and admin.
   */
  reads?: ReadTarget;
  handler: (ctx: HandlerContext<z.output<P>, z.output<Q>, z.output<B>>) => Promise<unknown>;
};

/** Identity helper that keeps the schema types flowing into the handler. */
export function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  def: RouteDef<P, Q, B>,
): RouteDef {
  return def as unknown as RouteDef;
}
