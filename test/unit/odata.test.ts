import { describe, expect, it } from 'vitest';
import { isServiceError } from '../../shared/domain/errors.js';
import { contextFragment, parseODataQuery, project, type ODataSpec } from '../../shared/http/odata.js';

const spec: ODataSpec = {
  entityType: 'microsoft.graph.pinResetEvent',
  selectable: ['id', 'activity', 'activityDateTime'],
  top: true,
  skiptoken: true,
  filterable: { activity: { operators: ['eq'], type: 'string' }, activityDateTime: { operators: ['ge'], type: 'dateTime' } },
};

function parse(query: string, routeSpec: ODataSpec | undefined = spec) {
  return parseODataQuery(new URLSearchParams(query), routeSpec);
}

function refusal(query: string, routeSpec: ODataSpec | undefined = spec): string {
  try {
    parse(query, routeSpec);
  } catch (error) {
    if (isServiceError(error, 'Request_BadRequest')) return error.message;
    throw error;
  }
  throw new Error(`expected ${query} to be refused`);
}

describe('OData query parsing', () => {
  it('parses $select, $top, $filter and $skiptoken together', () => {
    expect(parse("$select=id,activity&$top=5&$filter=activity eq 'protectorDecrypt' and activityDateTime ge 2024-01-31T00:00:00Z&$skiptoken=abc")).toEqual({
      select: ['id', 'activity'],
      top: 5,
      filter: [
        { property: 'activity', operator: 'eq', value: 'protectorDecrypt' },
        { property: 'activityDateTime', operator: 'ge', value: '2024-01-31T00:00:00.000Z' },
      ],
      skiptoken: 'abc',
    });
  });

  it('matches property names case-insensitively and answers with the declared spelling', () => {
    expect(parse('$select=ID,Activity').select).toEqual(['id', 'activity']);
    expect(parse("$filter=ACTIVITY eq 'x'").filter).toEqual([{ property: 'activity', operator: 'eq', value: 'x' }]);
  });

  it('names an unknown $select property the way Graph does', () => {
    expect(refusal('$select=id,foo')).toBe("Could not find a property named 'foo' on type 'microsoft.graph.pinResetEvent'.");
  });

  it.each(['$top=0', '$top=1000', '$top=abc', '$top=-1', '$top=1.5'])('refuses %s', (query) => {
    expect(refusal(query)).toMatch(/Invalid \$top value/);
  });

  it('accepts the $top bounds 1 and 999', () => {
    expect(parse('$top=1').top).toBe(1);
    expect(parse('$top=999').top).toBe(999);
  });

  it('refuses options the route does not declare instead of ignoring them', () => {
    expect(refusal('$orderby=id')).toBe("Query option '$orderby' is not supported on this resource.");
    expect(refusal('$top=5', { entityType: 'x', selectable: ['id'] })).toMatch(/not supported/);
    expect(refusal('$select=id', { entityType: 'x' })).toMatch(/not supported/);
    expect(() => parseODataQuery(new URLSearchParams('$select=id'), undefined)).toThrow(/not supported/);
  });

  it('refuses a repeated option', () => {
    expect(refusal('$top=5&$top=6')).toMatch(/more than once/);
  });

  it('refuses a filter on an undeclared property, operator or malformed literal', () => {
    expect(refusal("$filter=secret eq 'x'")).toMatch(/Could not find a property named 'secret'/);
    expect(refusal("$filter=id eq 'x'")).toBe("Filtering on property 'id' is not supported. Supported: activity, activityDateTime.");
    expect(refusal("$filter=activity ne 'x'")).toMatch(/Operator 'ne' is not supported/);
    expect(refusal('$filter=activity eq unquoted')).toMatch(/Invalid \$filter clause|quote the value/);
    expect(refusal('$filter=activityDateTime ge yesterday')).toMatch(/Invalid \$filter clause|Invalid date-time/);
    expect(refusal('$filter=activityDateTime ge 2024-13-45T00:00:00Z')).toMatch(/Invalid date-time/);
  });

  it("unescapes doubled quotes and keeps ' and ' inside a literal", () => {
    expect(parse("$filter=activity eq 'it''s a and b'").filter).toEqual([{ property: 'activity', operator: 'eq', value: "it's a and b" }]);
  });

  it('refuses an overlong $filter before parsing it, and still splits on AND with any whitespace', () => {
    expect(refusal(`$filter=activity eq '${'x'.repeat(3000)}'`)).toMatch(/longer than 2048/);
    expect(refusal(`$filter=activity eq 'a'${' '.repeat(2000)}x`)).toMatch(/Invalid \$filter clause/);
    expect(parse("$filter=activity eq 'a'   AND   activityDateTime ge 2024-01-01T00:00:00Z").filter).toHaveLength(2);
  });

  it('leaves plain (non-$) query parameters to the route', () => {
    expect(parse('tenant=contoso.com')).toEqual({ select: undefined, top: undefined, filter: [], skiptoken: undefined });
  });

  it('reads a system option without the $ prefix as the option itself where the prefix is optional (Graph routes), never ignoring it', () => {
    const graph = (query: string) => parseODataQuery(new URLSearchParams(query), spec, { prefixOptional: true });
    expect(graph("select=id&TOP=5&filter=activity eq 'x'")).toMatchObject({
      select: ['id'],
      top: 5,
      filter: [{ property: 'activity', operator: 'eq', value: 'x' }],
    });
    expect(() => graph('select=foo')).toThrow("Could not find a property named 'foo' on type 'microsoft.graph.pinResetEvent'.");
    expect(() => graph('top=0')).toThrow(/Invalid \$top value/);
    expect(() => graph('orderby=id')).toThrow("Query option 'orderby' is not supported on this resource.");
    expect(() => graph('select=id&$select=id')).toThrow(/more than once/);
    expect(graph('tenant=contoso.com&foo=1')).toEqual({ select: undefined, top: undefined, filter: [], skiptoken: undefined });
    // Elsewhere (the onboarding and development routes) a plain name is the route's own parameter.
    expect(parse('select=foo')).toEqual({ select: undefined, top: undefined, filter: [], skiptoken: undefined });
  });

  it('projects selected properties in the order asked, with null for absent ones', () => {
    expect(project({ id: '1', activity: 'a', extra: true }, ['activity', 'id'])).toEqual({ activity: 'a', id: '1' });
    expect(Object.keys(project({ id: '1', activity: 'a' }, ['activity', 'id']))).toEqual(['activity', 'id']);
    expect(contextFragment('organization', ['id'])).toBe('organization(id)');
    expect(contextFragment('organization', undefined)).toBe('organization');
  });
});
