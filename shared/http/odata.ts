import { ServiceError } from '../domain/errors.js';

/** What OData query options a route accepts. Anything not declared here is refused with 400. */
export interface FilterableProperty {
  operators: readonly FilterOperator[];
  type: 'string' | 'dateTime';
  /** An enumeration: any other value is 400, as Graph answers for an enum member that does not exist. */
  values?: readonly string[];
}

export interface ODataSpec {
  /** Type name used in Graph's messages, e.g. `Microsoft.DirectoryServices.Organization`. */
  entityType: string;
  /** Properties `$select` may name; omit to refuse `$select`. */
  selectable?: readonly string[];
  /** Enables `$top` (1..999). */
  top?: boolean;
  /** Properties `$filter` may name, with the operators each supports. */
  filterable?: Readonly<Record<string, FilterableProperty>>;
  /** Enables `$skiptoken` (issued in `@odata.nextLink`). */
  skiptoken?: boolean;
}

export type FilterOperator = 'eq' | 'ge';

export interface FilterClause {
  property: string;
  operator: FilterOperator;
  value: string;
}

export interface ODataQuery {
  select: readonly string[] | undefined;
  top: number | undefined;
  filter: readonly FilterClause[];
  skiptoken: string | undefined;
}

export const EMPTY_ODATA_QUERY: ODataQuery = { select: undefined, top: undefined, filter: [], skiptoken: undefined };

const MAX_TOP = 999;

function odataError(message: string): ServiceError {
  return new ServiceError('Request_BadRequest', message);
}

function unknownProperty(name: string, spec: ODataSpec): ServiceError {
  return odataError(`Could not find a property named '${name}' on type '${spec.entityType}'.`);
}

/** Property names are case-insensitive in OData requests (as Graph treats them); answers use the declared spelling. */
function canonicalName(name: string, names: readonly string[] | undefined): string | undefined {
  const lower = name.toLowerCase();
  return names?.find((candidate) => candidate.toLowerCase() === lower);
}

function parseSelect(raw: string, spec: ODataSpec): string[] {
  const names = raw.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) throw odataError(`Invalid $select value '${raw}'.`);
  return [
    ...new Set(
      names.map((name) => {
        const canonical = canonicalName(name, spec.selectable);
        if (!canonical) throw unknownProperty(name, spec);
        return canonical;
      }),
    ),
  ];
}

function parseTop(raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw odataError(`Invalid $top value '${raw}': expected an integer from 1 to ${MAX_TOP}.`);
  const top = Number(raw.trim());
  if (top < 1 || top > MAX_TOP) throw odataError(`Invalid $top value '${raw}': expected an integer from 1 to ${MAX_TOP}.`);
  return top;
}

const CLAUSE = /^\s*([A-Za-z][A-Za-z0-9_]*)\s+([A-Za-z]+)\s+('(?:[^']|'')*'|[0-9][0-9T:.\-+Z]*)\s*$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An ISO-8601 date-time that names a real instant: `Date.parse` alone rolls a day the month does not
 * have (2025-02-30) over into the next month instead of refusing it.
 */
function isCalendarDateTime(value: string): boolean {
  const match = ISO_DATE_TIME.exec(value);
  if (!match || Number.isNaN(Date.parse(value))) return false;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day);
  return calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day;
}

/** Splits on ` and ` outside string literals (a doubled '' inside a literal toggles twice). */
function splitConjunction(raw: string): string[] {
  const parts: string[] = [];
  const separator = /\s+and\s+/iy;
  let start = 0;
  let inString = false;
  for (let index = 0; index < raw.length; index += 1) {
    const char = raw[index];
    if (char === "'") inString = !inString;
    if (inString || !/\s/.test(char ?? '')) continue;
    separator.lastIndex = index;
    if (separator.test(raw)) {
      parts.push(raw.slice(start, index));
      start = separator.lastIndex;
      index = start - 1;
    }
  }
  parts.push(raw.slice(start));
  return parts;
}

/** Longer filters than any real client sends are refused before parsing. */
const MAX_FILTER_LENGTH = 2_048;

function parseFilter(raw: string, spec: ODataSpec): FilterClause[] {
  if (raw.length > MAX_FILTER_LENGTH) throw odataError(`The $filter value is longer than ${MAX_FILTER_LENGTH} characters.`);
  const filterable = spec.filterable ?? {};
  return splitConjunction(raw).map((clauseText) => {
    const match = CLAUSE.exec(clauseText);
    if (!match) {
      throw odataError(
        `Invalid $filter clause '${clauseText.trim()}'. Use <property> eq '<text>' or <property> ge <ISO-8601 date-time> (e.g. 2024-01-31T00:00:00Z), joined by 'and'.`,
      );
    }
    const [, requested = '', operatorText = '', literal = ''] = match;
    const property = canonicalName(requested, Object.keys(filterable));
    const definition = property === undefined ? undefined : filterable[property];
    if (property === undefined || !definition) {
      if (!canonicalName(requested, spec.selectable)) throw unknownProperty(requested, spec);
      throw odataError(`Filtering on property '${requested}' is not supported. Supported: ${Object.keys(filterable).join(', ')}.`);
    }
    const operator = operatorText.toLowerCase() as FilterOperator;
    if (!definition.operators.includes(operator)) {
      throw odataError(`Operator '${operatorText}' is not supported for property '${property}' (supported: ${definition.operators.join(', ')}).`);
    }
    let value: string;
    if (literal.startsWith("'")) {
      value = literal.slice(1, -1).replace(/''/g, "'");
    } else {
      value = literal;
    }
    if (definition.type === 'dateTime') {
      if (!isCalendarDateTime(value)) {
        throw odataError(`Invalid date-time '${value}' for property '${property}': expected ISO-8601, e.g. 2024-01-31T00:00:00Z.`);
      }
      value = new Date(value).toISOString();
    } else if (!literal.startsWith("'")) {
      throw odataError(`Property '${property}' is a string: quote the value, e.g. ${property} eq 'value'.`);
    } else if (definition.values && !definition.values.includes(value)) {
      throw odataError(`The value '${value}' is not a valid ${property}. Valid values: ${definition.values.join(', ')}.`);
    }
    return { property, operator, value };
  });
}

/** The OData system query options (OData 4.01 URL conventions §5.1), with their `$`. */
const SYSTEM_QUERY_OPTIONS = new Set([
  '$apply',
  '$compute',
  '$count',
  '$deltatoken',
  '$expand',
  '$filter',
  '$format',
  '$id',
  '$index',
  '$levels',
  '$orderby',
  '$schemaversion',
  '$search',
  '$select',
  '$skip',
  '$skiptoken',
  '$top',
]);

/**
 * The OData option a query parameter names (lower case, with `$`), or undefined for a plain parameter.
 * Where the prefix is optional (Graph routes: Graph's beta and part of v1.0 accept `select` for
 * `$select`), a system option's name without `$` is that option, so it is honoured or refused, never
 * ignored; anywhere else a plain name is the route's own parameter.
 */
export function odataOptionOf(rawName: string, prefixOptional: boolean): string | undefined {
  const name = rawName.toLowerCase();
  if (name.startsWith('$')) return name;
  return prefixOptional && SYSTEM_QUERY_OPTIONS.has(`$${name}`) ? `$${name}` : undefined;
}

/**
 * Parses the OData options of a query string against what the route supports. Unsupported or
 * repeated options are 400 `Request_BadRequest`, never ignored. Plain parameters are left to the route.
 */
export function parseODataQuery(query: URLSearchParams, spec: ODataSpec | undefined, options: { prefixOptional?: boolean } = {}): ODataQuery {
  const seen = new Set<string>();
  const result: { select?: string[]; top?: number; filter: FilterClause[]; skiptoken?: string } = { filter: [] };
  for (const [rawName, value] of query) {
    const name = odataOptionOf(rawName, options.prefixOptional ?? false);
    if (name === undefined) continue;
    if (seen.has(name)) throw odataError(`Query option '${rawName}' was specified more than once.`);
    seen.add(name);
    if (name === '$select' && spec?.selectable) result.select = parseSelect(value, spec);
    else if (name === '$top' && spec?.top) result.top = parseTop(value);
    else if (name === '$filter' && spec?.filterable) result.filter = parseFilter(value, spec);
    else if (name === '$skiptoken' && spec?.skiptoken) {
      if (!value) throw odataError('Invalid $skiptoken value.');
      result.skiptoken = value;
    } else throw odataError(`Query option '${rawName}' is not supported on this resource.`);
  }
  return { select: result.select, top: result.top, filter: result.filter, skiptoken: result.skiptoken };
}

/** Keeps only the selected properties, in the order they were asked for. */
export function project<T extends object>(entity: T, select: readonly string[] | undefined): Partial<T> {
  if (!select) return entity;
  const projected: Record<string, unknown> = {};
  for (const name of select) projected[name] = (entity as Record<string, unknown>)[name] ?? null;
  return projected as Partial<T>;
}

/** `<set>(<selected>)` for @odata.context. */
export function contextFragment(set: string, select: readonly string[] | undefined): string {
  return select ? `${set}(${select.join(',')})` : set;
}
