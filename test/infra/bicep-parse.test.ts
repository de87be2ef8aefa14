import { describe, expect, it } from 'vitest';
import { loadInfra, modules, parseBicep, syntaxProblems } from './bicep-tree.js';

describe('Bicep templates parse', () => {
  const infra = loadInfra();

  it('finds main.bicep and the app modules under infra/', () => {
    expect([...infra.keys()]).toEqual(
      expect.arrayContaining([
        'main.bicep',
        'app/api.bicep',
        'app/identity.bicep',
        'app/keyvault.bicep',
        'app/monitoring.bicep',
        'app/rbac.bicep',
        'app/registrations.bicep',
        'app/settings.bicep',
        'app/storage.bicep',
      ]),
    );
  });

  it.each([...infra.keys()])('%s parses with no ERROR or MISSING nodes', (path) => {
    const file = infra.get(path);
    expect(file).toBeDefined();
    expect(syntaxProblems(file!.root)).toEqual([]);
    expect(file!.root.hasError).toBe(false);
  });

  it('reads `extension <alias>` declarations, which tree-sitter-bicep 1.1.0 does not know, without shifting rows', () => {
    const text = "extension microsoftGraphV1\n\nresource app 'Microsoft.Graph/applications@v1.0' = {\n  uniqueName: 'x'\n}\n";
    const file = parseBicep(text);
    expect(file.extensions).toEqual(['microsoftGraphV1']);
    expect(syntaxProblems(file.root)).toEqual([]);
    const resource = file.root.namedChildren.find((node) => node.type === 'resource_declaration');
    expect(resource?.startPosition.row).toBe(2);
    expect(parseBicep("extension 'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0'\n").extensions).toEqual([
      'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0',
    ]);
  });

  it('still reports a malformed extension declaration as a syntax problem', () => {
    const broken = parseBicep('extension microsoftGraphV1 as = {\n');
    expect(broken.extensions).toEqual([]);
    expect(syntaxProblems(broken.root).length).toBeGreaterThan(0);
  });

  it('reports a broken template, so a clean parse means something', () => {
    const broken = parseBicep("resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: \n  properties: {\n");
    expect(syntaxProblems(broken.root).length).toBeGreaterThan(0);
  });

  it('every module a template calls is a local file under infra/, not a registry module', () => {
    const calls = [...infra.values()].flatMap(modules);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(infra.has(call.target), `${call.file.path} calls ${call.target}`).toBe(true);
    }
  });
});
