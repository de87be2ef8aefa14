import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { AnyOperation } from './pipeline.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
/** Methods registered on every route; HEAD is answered by a route's GET operation without the body. */
export const HTTP_METHODS: readonly (HttpMethod | 'HEAD')[] = ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'];

export type RouteHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * One route of the route table: a Functions route template (`v1.0/organization/{id}`) and the
 * handler of each method. `app.http` (func start / Azure) and the local host both serve this table.
 */
export interface RouteDefinition {
  /** Function name: unique, letters, digits, `_` and `-`. */
  name: string;
  /** Functions route template; `{id:guid}` constrains a parameter to a GUID, as the host does. */
  route: string;
  methods: Partial<Record<HttpMethod, AnyOperation>>;
  /** Development mode only: when PINRESET_DEV_MODE is off the route answers 404 to everything, as if absent. */
  devOnly?: true;
}

interface CompiledRoute {
  definition: RouteDefinition;
  pattern: RegExp;
  parameterNames: string[];
  literalSegments: number;
}

export interface RouteMatch {
  definition: RouteDefinition;
  params: Record<string, string>;
}

/**
 * `{name:guid}` is the Functions host's route constraint: a segment that is not a GUID does not match
 * the route (it falls through to the catch-all 404), so a malformed id never reaches a handler or a
 * storage key.
 */
const GUID_SEGMENT = '([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(definition: RouteDefinition): CompiledRoute {
  const parameterNames: string[] = [];
  let literalSegments = 0;
  const source = definition.route
    .split('/')
    .map((segment) => {
      const catchAll = /^\{\*(\w+)\}$/.exec(segment);
      if (catchAll?.[1]) {
        parameterNames.push(catchAll[1]);
        return '(.*)';
      }
      const parameter = /^\{(\w+)(?::(guid))?\}$/.exec(segment);
      if (parameter?.[1]) {
        parameterNames.push(parameter[1]);
        return parameter[2] === 'guid' ? GUID_SEGMENT : '([^/]+)';
      }
      literalSegments += 1;
      return escapeRegExp(segment);
    })
    .join('/');
  return { definition, pattern: new RegExp(`^/${source}/?$`, 'i'), parameterNames, literalSegments };
}

/** Matches request paths the way the Functions host does: literal segments win over parameters. */
export class RouteMatcher {
  private readonly routes: CompiledRoute[];

  constructor(definitions: readonly RouteDefinition[]) {
    this.routes = definitions.map(compile).sort((a, b) => b.literalSegments - a.literalSegments);
  }

  match(pathname: string): RouteMatch | undefined {
    for (const route of this.routes) {
      const found = route.pattern.exec(pathname);
      if (!found) continue;
      const params: Record<string, string> = {};
      route.parameterNames.forEach((name, index) => {
        const raw = found[index + 1] ?? '';
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          params[name] = raw;
        }
      });
      return { definition: route.definition, params };
    }
    return undefined;
  }
}
