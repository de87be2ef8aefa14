import type { HttpResponseInit } from '@azure/functions';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ROUTES } from '../../functions/routes.js';
import type { OpenApiDocument } from '../../shared/contract/health.js';
import { buildOpenApiDocument, openApiPath } from '../../shared/http/openapi.js';
import type { ObservedExchange } from '../../shared/http/local-host.js';

// ajv-formats is CommonJS: its default export is the plugin.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** The base the document's components are registered under in ajv. */
const DOCUMENT_ID = 'https://pinreset.invalid/openapi.json';

interface MediaObject {
  schema?: Record<string, unknown>;
}
interface ResponseObject {
  content?: Record<string, MediaObject>;
}
interface OperationObject {
  operationId: string;
  responses: Record<string, ResponseObject>;
}

export interface Exchange {
  method: string;
  /** The route template that served it (`v1.0/organization/{id}`), or undefined. */
  route: string | undefined;
  status: number;
  contentType: string;
  body: string;
}

/** What the local host's observer sees, as an exchange to check. */
export function exchangeOf(observed: ObservedExchange): Exchange {
  const response: HttpResponseInit = observed.response;
  const headers = new Headers(response.headers as ConstructorParameters<typeof Headers>[0]);
  return {
    method: observed.method.toUpperCase(),
    route: observed.route?.route,
    status: response.status ?? 200,
    contentType: headers.get('content-type') ?? '',
    body: typeof response.body === 'string' ? response.body : '',
  };
}

/**
 * Checks answers against the OpenAPI document the service publishes, as Prism's response validation
 * does: the status must be declared for the operation, the media type must be one it declares, and a
 * JSON body must be valid against that status's schema (ajv, JSON Schema 2020-12).
 */
export class OpenApiConformance {
  readonly document: OpenApiDocument;
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(baseUrl = 'http://127.0.0.1') {
    this.document = buildOpenApiDocument(ROUTES, baseUrl);
    this.ajv = addFormats(new Ajv2020({ strict: false, allErrors: true, validateFormats: true }));
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: (this.document as unknown as { components: unknown }).components }, DOCUMENT_ID);
  }

  /** A validator of a schema of the document (its `#/components/...` references resolve in the document). */
  private validator(schema: Record<string, unknown>): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(JSON.parse(key.replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`)) as Record<string, unknown>);
      this.validators.set(key, validate);
    }
    return validate;
  }

  private operation(exchange: Exchange): OperationObject | undefined {
    const path = exchange.route === undefined ? undefined : openApiPath(exchange.route);
    if (!path) return undefined;
    const item = (this.document.paths as Record<string, Record<string, OperationObject>>)[path];
    const method = exchange.method === 'HEAD' ? 'get' : exchange.method.toLowerCase();
    return item?.[method];
  }

  /** Why the exchange does not conform, or undefined when it does. */
  violation(exchange: Exchange): string | undefined {
    const operation = this.operation(exchange);
    const where = `${exchange.method} ${exchange.route ?? '(no route)'} → ${exchange.status}`;
    if (!operation) {
      // No operation (an unknown path or method, HEAD): the answer is an error, so it must be the envelope.
      if (exchange.method === 'HEAD' && exchange.status < 400) return undefined;
      if (exchange.status < 400) return `${where}: an undocumented operation answered success`;
      return this.checkBody(where, { $ref: '#/components/schemas/graphError' }, exchange);
    }
    const response = operation.responses[String(exchange.status)];
    if (!response) return `${where}: status not declared by ${operation.operationId}`;
    if (exchange.method === 'HEAD') return undefined;
    const mediaTypes = Object.keys(response.content ?? {});
    if (mediaTypes.length === 0) return exchange.body === '' ? undefined : `${where}: a body where ${operation.operationId} declares none`;
    const mediaType = exchange.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    const media = response.content?.[mediaType];
    if (!media) return `${where}: media type '${mediaType}' not declared (${mediaTypes.join(', ')})`;
    if (mediaType !== 'application/json') return undefined;
    return media.schema ? this.checkBody(where, media.schema, exchange) : undefined;
  }

  private checkBody(where: string, schema: Record<string, unknown>, exchange: Exchange): string | undefined {
    let body: unknown;
    try {
      body = JSON.parse(exchange.body);
    } catch {
      return `${where}: the body is not JSON`;
    }
    const validate = this.validator(schema);
    if (validate(body)) return undefined;
    return `${where}: ${this.ajv.errorsText(validate.errors)} (schema ${JSON.stringify(schema).slice(0, 200)})`;
  }
}
