import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOperation } from '../../shared/http/pipeline.js';
import { html, json, noContent } from '../../shared/http/responses.js';

/**
 * `defineOperation` checks handlers against the declared responses at compile time: the
 * `@ts-expect-error` lines below fail `npm run typecheck` (tsconfig.test.json) if a mismatched body or
 * an undeclared status ever type-checks again.
 */
const thingSchema = z.object({ id: z.string(), state: z.enum(['on', 'off']) });

const typed = defineOperation({
  operationId: 'thing_get',
  summary: 'A thing.',
  tags: ['test'],
  auth: 'anonymous',
  responses: { 200: { description: 'The thing.', schema: thingSchema }, 204: { description: 'Nothing.' } },
  async handle(context) {
    return json(200, { id: context.params.id ?? 'a', state: 'on' });
  },
});

describe('defineOperation', () => {
  it('accepts a handler whose replies match the declared responses', async () => {
    expect(typed.operationId).toBe('thing_get');
    const ok = defineOperation({
      operationId: 'thing_page',
      summary: 'A page.',
      tags: ['test'],
      auth: 'anonymous',
      responses: { 200: { description: 'HTML.', html: true }, 204: { description: 'Nothing.' } },
      async handle(context) {
        return context.params.empty ? noContent() : html(200, '<p>hi</p>');
      },
    });
    expect(Object.keys(ok.responses)).toEqual(['200', '204']);
  });

  it('rejects, at compile time, a body that does not match or a status that is not declared', () => {
    const wrongBody = defineOperation({
      operationId: 'thing_wrong_body',
      summary: 'Wrong.',
      tags: ['test'],
      auth: 'anonymous',
      responses: { 200: { description: 'The thing.', schema: thingSchema } },
      // @ts-expect-error 'maybe' is not a state of the declared schema
      async handle(context) {
        return json(200, { id: context.params.id ?? 'a', state: 'maybe' });
      },
    });
    const undeclaredStatus = defineOperation({
      operationId: 'thing_wrong_status',
      summary: 'Wrong.',
      tags: ['test'],
      auth: 'anonymous',
      responses: { 200: { description: 'The thing.', schema: thingSchema } },
      // @ts-expect-error 204 is not a declared response
      async handle(context) {
        return noContent({ 'x-id': context.params.id ?? '' });
      },
    });
    expect([wrongBody.operationId, undeclaredStatus.operationId]).toEqual(['thing_wrong_body', 'thing_wrong_status']);
  });
});
