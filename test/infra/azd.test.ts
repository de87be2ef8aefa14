import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFRA_DIR, REPO_ROOT, descendants, fileOf, loadInfra, outputs, parameters, stringLiteral } from './bicep-tree.js';

const infra = loadInfra();
const main = fileOf(infra, 'main.bicep');

interface ParametersFile {
  parameters: Record<string, { value: unknown }>;
}

const parametersFile = JSON.parse(readFileSync(join(INFRA_DIR, 'main.parameters.json'), 'utf8')) as ParametersFile;
const azureYaml = readFileSync(join(REPO_ROOT, 'azure.yaml'), 'utf8');

describe('azd wiring', () => {
  it('deploys at subscription scope and creates its own resource group', () => {
    const target = main.root.namedChildren.find((node) => node.type === 'target_scope_assignment');
    expect(stringLiteral(target?.namedChildren[0])).toBe('subscription');
    expect(descendants(main.root, 'resource_declaration').some((node) => node.text.includes("'Microsoft.Resources/resourceGroups@"))).toBe(true);
  });

  it('main.parameters.json names only parameters main.bicep declares', () => {
    const declared = parameters(main).map((param) => param.name);
    expect(declared).toEqual(expect.arrayContaining(Object.keys(parametersFile.parameters)));
  });

  it('main.parameters.json supplies every parameter that has no default', () => {
    const withoutDefault = parameters(main)
      .filter((param) => param.defaultValue === undefined)
      .map((param) => param.name);
    expect(withoutDefault.sort()).toEqual(['environmentName', 'location']);
    for (const name of withoutDefault) expect(Object.keys(parametersFile.parameters)).toContain(name);
  });

  it('takes the environment, region and the optional choices from azd environment variables', () => {
    const value = (name: string): unknown => parametersFile.parameters[name]?.value;
    expect(value('environmentName')).toBe('${AZURE_ENV_NAME}');
    expect(value('location')).toBe('${AZURE_LOCATION}');
    expect(value('serviceAppIdUri')).toBe('${PINRESET_SERVICE_APP_ID_URI}');
    expect(value('grantHomeTenantConsent')).toBe('${PINRESET_GRANT_HOME_TENANT_CONSENT=false}');
    // PINRESET_CLOUD is an output only (derived from the cloud deployed to), never an input.
    expect(JSON.stringify(parametersFile.parameters)).not.toContain('PINRESET_CLOUD');
  });

  it('asks nobody for app registration ids: the template creates the registrations', () => {
    const declared = parameters(main).map((param) => param.name);
    expect(declared).not.toContain('serviceAppId');
    expect(declared).not.toContain('clientAppId');
    expect(stringLiteral(parameters(main).find((param) => param.name === 'serviceAppIdUri')?.defaultValue)).toBe('');
  });

  it('outputs the service URL and the names a deploy script needs, none of them a secret', () => {
    const names = outputs(main).map((output) => output.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'SERVICE_API_URI',
        'SERVICE_API_NAME',
        'AZURE_FUNCTION_APP_NAME',
        'AZURE_RESOURCE_GROUP',
        'AZURE_KEY_VAULT_NAME',
        'AZURE_KEY_VAULT_ENDPOINT',
        'AZURE_STORAGE_ACCOUNT_NAME',
        'AZURE_MANAGED_IDENTITY_CLIENT_ID',
        'AZURE_MANAGED_IDENTITY_PRINCIPAL_ID',
        'SERVICE_APP_ID',
        'SERVICE_APP_ID_URI',
        'CLIENT_APP_ID',
      ]),
    );
    expect(outputs(main).filter((output) => output.secure)).toEqual([]);
  });

  it('echoes in postprovision only values main.bicep outputs (azd puts outputs in the hook environment)', () => {
    const posix = [...azureYaml.matchAll(/\$([A-Z][A-Z0-9_]+)/g)].map((match) => match[1]!);
    const windows = [...azureYaml.matchAll(/\$env:([A-Z][A-Z0-9_]+)/g)].map((match) => match[1]!);
    expect(new Set(windows)).toEqual(new Set(posix));
    const outputNames = outputs(main).map((output) => output.name);
    for (const name of new Set(posix)) expect(outputNames, `${name} is an output of main.bicep`).toContain(name);
    expect([...new Set(posix)].sort()).toEqual(['AZURE_TENANT_ID', 'CLIENT_APP_ID', 'SERVICE_API_URI', 'SERVICE_APP_ID', 'SERVICE_APP_ID_URI']);
  });

  it('azure.yaml deploys this project as the api service on Azure Functions with the Bicep in infra/', () => {
    expect(azureYaml).toMatch(/^services:\n {2}api:\n/m);
    expect(azureYaml).toMatch(/^ {4}host: function$/m);
    expect(azureYaml).toMatch(/^ {4}language: ts$/m);
    expect(azureYaml).toMatch(/^ {2}path: infra$/m);
  });

  /**
   * azd zips the project root for the Function App and leaves out what .funcignore matches (gitignore
   * syntax; azd's matcher lets the last matching pattern win). An allowlist ships exactly what runs,
   * whatever else lies in a working copy (.env files, test results, logs, local state, docs, sources).
   */
  const FUNCIGNORE_ALLOWLIST = ['*', '!dist/**', '!node_modules/**', '!host.json', '!package.json'];
  const funcignorePatterns = readFileSync(join(REPO_ROOT, '.funcignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('.funcignore ships only the compiled app, its dependencies, host.json and package.json', () => {
    expect(funcignorePatterns).toEqual(FUNCIGNORE_ALLOWLIST);
    const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(packageJson.main, 'the Functions host loads package.json main, which must be shipped').toMatch(/^dist\//);
  });

  it('builds locally (remoteBuild: false): .funcignore ships node_modules and no TypeScript sources', () => {
    // azd refuses 'remoteBuild: false' when .funcignore excludes node_modules, and a remote build
    // would need the sources and tsconfig.json that the allowlist leaves out.
    expect(/^ {4}remoteBuild: (true|false)$/m.exec(azureYaml)?.[1]).toBe('false');
    expect(funcignorePatterns).toContain('!node_modules/**');
    expect(funcignorePatterns.filter((pattern) => pattern.startsWith('!')).some((pattern) => /\.ts\b|tsconfig|functions|shared/.test(pattern))).toBe(false);
  });

  it('packages from a staging folder, so azd can still run npm run build after the prepackage hook', () => {
    // azd's Node package step runs `npm run build` itself, after the prepackage hook (azure-dev:
    // serviceManager.Package wraps nodeProject.Package, which runs the build script, in the package
    // event's hooks). A hook that prunes the project's devDependencies makes that build fail
    // (tsc/vite not found); the hook stages production dependencies in the service's dist instead.
    const dist = /^ {4}dist: (\S+)$/m.exec(azureYaml)?.[1];
    expect(dist).toBe('dist/azd-package');
    expect(azureYaml).toMatch(/^ {6}prepackage:\n {8}shell: sh\n {8}run: sh infra\/hooks\/prepackage\.sh$/m);
    expect(azureYaml).not.toMatch(/npm prune|postpackage/);

    const hook = readFileSync(join(INFRA_DIR, 'hooks', 'prepackage.sh'), 'utf8');
    const commands = hook.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
    expect(commands).toContain('set -eu');
    expect(commands).toContain(`stage=${dist}`);
    expect(commands).toContain('npm run build');
    expect(commands).toContain('cp host.json package.json package-lock.json .funcignore "$stage/"');
    // Production dependencies are installed in the stage only; the project's node_modules is untouched.
    const npmCommands = commands.filter((line) => /\bnpm\b/.test(line));
    expect(npmCommands).toEqual(['npm run build', '(cd "$stage" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline)']);
    // The stage is build output: git-ignored, and never copied into itself.
    expect(readFileSync(join(REPO_ROOT, '.gitignore'), 'utf8').split('\n')).toContain('dist/');
    expect(commands).toContain('  [ "$entry" = "$stage" ] && continue');
  });

  it('tags the Function App with the azd service name azure.yaml uses', () => {
    const api = fileOf(infra, 'app/api.bicep');
    const serviceName = parameters(api).find((param) => param.name === 'serviceName');
    expect(stringLiteral(serviceName?.defaultValue)).toBe('api');
    const tagged = descendants(api.root, 'object_property').some((node) => node.text.includes("'azd-service-name': serviceName"));
    expect(tagged).toBe(true);
  });
});
