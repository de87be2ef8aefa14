import { describe, expect, it } from 'vitest';
import { TABLE_NAMES } from '../../shared/storage/table-store.js';
import { deployedResources, loadInfra, property, stringLiteral } from './bicep-tree.js';

describe('service tables in Bicep', () => {
  it('creates exactly the tables the service uses (the app never creates one at request time)', () => {
    const tables = deployedResources(loadInfra(), 'Microsoft.Storage/storageAccounts/tableServices/tables');
    const names = tables.map((table) => stringLiteral(property(table.body, 'name')));
    expect(names.sort()).toEqual(Object.values(TABLE_NAMES).sort());
  });
});
