import { z } from 'zod';
import type { RouteDef } from './route.js';
import { ErrorBody } from './schemas.js';

type Json = Record<string, unknown>;

/**
 * Converts a zod schema to JSON Schema 2020-12 (what OpenAPI 3.1 uses), lifting named schemas
 * (`.meta({ id })`) into `components.schemas` so they appear once.
 */
function toSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, Json>): Json {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  const defs = (js.$defs ?? {}) as Record<string, Json>;
  delete js.$defs;
  delete js.$schema;
  const rewrite = (o: Json): Json => JSON.parse(JSON.stringify(o).replace(/"#\/\$defs\/([^"]+)"/g, '"#/components/schemas/$1"'));
  for (const [id, def] of Object.entries(defs)) components[id] = rewrite(def);
  // A named schema at the top level comes back as itself with an id; reference it instead.
  const id = (js.id ?? undefined) as string | undefined;
  if (id) {
    delete js.id;
    components[id] = rewrite(js);
    return { $ref: `#/components/schemas/${id}` };
  }
  return rewrite(js);
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query', components: Record<string, Json>): Json[] {
  if (!schema) return [];
  const js = toSchema(schema, 'input', components) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

const ACCESS_TEXT = (r: RouteDef) =>
  r.access === 'public' ? 'No token needed.' : r.access === 'any' ? 'Any signed-in role.' : `Roles: ${[...r.access, 'admin'].join(', ')}.`;

/** The OpenAPI 3.1 document of every route, generated from the same schemas that validate input. */
export function buildOpenApi(routes: RouteDef[], version: string): Json {
  const components: Record<string, Json> = {};
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const p = r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const op: Json = {
      summary: r.summary,
      description: ACCESS_TEXT(r) + (r.reads ? ' For a customer under a GDPR art. 18 restriction only compliance and admin; others get 403 `restricted`.' : ''),
      tags: [r.tag],
      operationId: `${r.method}${p.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      parameters: [...parametersOf(r.params, 'path', components), ...parametersOf(r.query, 'query', components)],
      responses: {
        [String(r.response.status)]: {
          description: r.response.description ?? 'OK',
          ...(r.response.schema
            ? { content: { [r.response.contentType ?? 'application/json']: { schema: toSchema(r.response.schema, 'output', components) } } }
            : r.response.contentType
              ? { content: { [r.response.contentType]: {} } }
              : {}),
        },
        default: { description: 'Error', content: { 'application/json': { schema: toSchema(ErrorBody, 'output', components) } } },
      },
    };
    if (r.access !== 'public') op.security = [{ bearer: [] }, { session: [] }];
    if (r.body) {
      op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(r.body, 'input', components) } } };
    } else if (r.multipart) {
      const fields = toSchema(r.multipart.fields, 'input', components) as { properties?: Json; required?: string[] };
      const props: Json = { ...(fields.properties ?? {}) };
      for (const f of r.multipart.files) {
        props[f] = r.multipart.maxFiles && r.multipart.maxFiles > 1
          ? { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' } }
          : { type: 'string', contentMediaType: 'application/octet-stream' };
      }
      op.requestBody = {
        required: true,
        content: { 'multipart/form-data': { schema: { type: 'object', properties: props, required: [...r.multipart.files.slice(0, 1), ...(fields.required ?? [])] } } },
      };
    }
    (paths[p] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Dossierlink API',
      version,
      description:
        'Hybrid document linking for CRM customer files. Errors are `{ error: { code, message, details? } }`. ' +
        'Every route except GET /api/health needs `Authorization: Bearer <token>`.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        // Issue #16: the web UI's cookie session; changes also need the X-CSRF-Token header.
        session: { type: 'apiKey', in: 'cookie', name: 'dl_session' },
      },
      schemas: components,
    },
    paths,
  };
}
