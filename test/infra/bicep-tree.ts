/**
 * Small helpers over tree-sitter-bicep parse trees, for the infra tests.
 *
 * Bicep cannot be compiled on the machines this project builds on, so the tests parse the templates
 * with tree-sitter and assert on the tree: declarations, object properties, and a little evaluation
 * (variables, module parameters, `union(...)`, ternaries) — enough to answer "which app settings
 * does the Function App always get?" without a Bicep compiler.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Parser from 'tree-sitter';
import Bicep from 'tree-sitter-bicep';

export type Node = Parser.SyntaxNode;

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const INFRA_DIR = join(REPO_ROOT, 'infra');

export interface BicepFile {
  /** Path relative to infra/, with forward slashes: `main.bicep`, `app/api.bicep`. */
  path: string;
  text: string;
  root: Node;
  /** `extension <alias>` declarations (e.g. `microsoftGraphV1`), in order. */
  extensions: string[];
}

/** Every .bicep file of a template directory, by path relative to infra/. */
export type Infra = ReadonlyMap<string, BicepFile>;

let parser: Parser | undefined;

/**
 * A whole-line `extension <alias>` or `extension '<registry reference>'` declaration. tree-sitter-bicep
 * 1.1.0 (the newest) predates the `extension` keyword (it knows only `import`/`provider`), so such lines
 * are taken out before parsing (blanked, so rows and columns stay put) and recorded in `extensions`.
 * Anything else starting with `extension` still reaches the parser and fails as a syntax error.
 */
const EXTENSION_LINE = /^extension[ \t]+([A-Za-z_][A-Za-z0-9_]*|'[^'\n]*')[ \t]*(?:\/\/[^\n]*)?$/gm;

export function parseBicep(text: string, path = 'inline.bicep'): BicepFile {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(Bicep as unknown as Parser.Language);
  }
  const extensions: string[] = [];
  const parsable = text.replace(EXTENSION_LINE, (line: string, name: string) => {
    extensions.push(name.replace(/^'|'$/g, ''));
    return ' '.repeat(line.length);
  });
  return { path, text, root: parser.parse(parsable).rootNode, extensions };
}

function bicepPaths(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return bicepPaths(full);
    return entry.name.endsWith('.bicep') ? [full] : [];
  });
}

/** Parses infra/**\/*.bicep; `overrides` replaces a file's text (by relative path) before parsing. */
export function loadInfra(overrides: Readonly<Record<string, string>> = {}): Infra {
  const files = new Map<string, BicepFile>();
  for (const full of bicepPaths(INFRA_DIR).sort()) {
    const path = relative(INFRA_DIR, full).split(sep).join('/');
    files.set(path, parseBicep(overrides[path] ?? readFileSync(full, 'utf8'), path));
  }
  return files;
}

/** An in-memory template directory (tests of the checkers themselves). */
export function infraFromSources(sources: Readonly<Record<string, string>>): Infra {
  return new Map(Object.entries(sources).map(([path, text]) => [path, parseBicep(text, path)]));
}

export function readInfraText(path: string): string {
  return readFileSync(join(INFRA_DIR, path), 'utf8');
}

export function fileOf(infra: Infra, path: string): BicepFile {
  const file = infra.get(path);
  if (!file) throw new Error(`no ${path} in infra/`);
  return file;
}

/** ERROR and MISSING nodes, as `line:column kind text` (1-based lines). */
export function syntaxProblems(root: Node): string[] {
  const problems: string[] = [];
  const visit = (node: Node): void => {
    if (node.type === 'ERROR' || node.isMissing) {
      const kind = node.isMissing ? `MISSING ${node.type}` : 'ERROR';
      problems.push(`${node.startPosition.row + 1}:${node.startPosition.column + 1} ${kind} ${node.text.slice(0, 60)}`);
    }
    for (const child of node.children) visit(child);
  };
  visit(root);
  return problems;
}

export function descendants(root: Node, type: string): Node[] {
  return root.descendantsOfType(type);
}

// ---------------------------------------------------------------------------------------------
// Literals and objects

/** Text of a string literal without interpolation, else undefined. */
export function stringLiteral(node: Node | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  if (node.namedChildren.some((child) => child.type === 'interpolation')) return undefined;
  return node.namedChildren.map((child) => (child.type === 'escape_sequence' ? unescapeBicep(child.text) : child.text)).join('');
}

function unescapeBicep(sequence: string): string {
  const map: Record<string, string> = { "\\'": "'", '\\\\': '\\', '\\n': '\n', '\\r': '\r', '\\t': '\t', '\\$': '$' };
  return map[sequence] ?? sequence;
}

export type Literal = string | number | boolean | null;

export function literal(node: Node | undefined): Literal | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'string':
      return stringLiteral(node);
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'null':
      return null;
    default:
      return undefined;
  }
}

/** Key of an object property: identifier, or a string without interpolation. */
export function propertyKey(property: Node): string | undefined {
  const key = property.namedChildren[0];
  if (!key) return undefined;
  if (key.type === 'identifier' || key.type === 'compatible_identifier') return key.text;
  return stringLiteral(key);
}

function propertyValue(property: Node): Node | undefined {
  return property.namedChildren[1];
}

/** The value of `key` in an object node (not evaluated). */
export function property(object: Node | undefined, key: string): Node | undefined {
  if (object?.type !== 'object') return undefined;
  for (const child of object.namedChildren) {
    if (child.type === 'object_property' && propertyKey(child) === key) return propertyValue(child);
  }
  return undefined;
}

/** `property(object, 'a.b.c')` through nested object literals. */
export function propertyPath(object: Node | undefined, path: string): Node | undefined {
  let current = object;
  for (const key of path.split('.')) current = property(current, key);
  return current;
}

export function arrayItems(node: Node | undefined): Node[] {
  return node?.type === 'array' ? node.namedChildren.filter((child) => child.type !== 'comment') : [];
}

// ---------------------------------------------------------------------------------------------
// Declarations

export interface ResourceDeclaration {
  file: BicepFile;
  node: Node;
  symbolicName: string;
  /** `Microsoft.Storage/storageAccounts` */
  type: string;
  apiVersion: string;
  existing: boolean;
  /** Deployed under `if (...)`. */
  conditional: boolean;
  body: Node;
}

export function resources(file: BicepFile): ResourceDeclaration[] {
  return file.root.namedChildren
    .filter((node) => node.type === 'resource_declaration')
    .map((node) => {
      const [typeAndVersion = '', apiVersion = ''] = (stringLiteral(node.namedChildren[1]) ?? '').split('@');
      const conditional = node.namedChildren.find((child) => child.type === 'if_statement');
      const body = conditional
        ? conditional.namedChildren.find((child) => child.type === 'object')
        : node.namedChildren.find((child) => child.type === 'object');
      if (!body) throw new Error(`${file.path}: resource without a body at line ${node.startPosition.row + 1}`);
      return {
        file,
        node,
        symbolicName: node.namedChildren[0]?.text ?? '',
        type: typeAndVersion,
        apiVersion,
        existing: node.children.some((child) => child.type === 'existing'),
        conditional: conditional !== undefined,
        body,
      };
    });
}

export function allResources(infra: Infra): ResourceDeclaration[] {
  return [...infra.values()].flatMap(resources);
}

/** Resources of one type that the template creates (not `existing` references). */
export function deployedResources(infra: Infra, type: string): ResourceDeclaration[] {
  return allResources(infra).filter((resource) => resource.type.toLowerCase() === type.toLowerCase() && !resource.existing);
}

export function resourceBySymbol(file: BicepFile, symbolicName: string): ResourceDeclaration | undefined {
  return resources(file).find((resource) => resource.symbolicName === symbolicName);
}

export interface ModuleDeclaration {
  file: BicepFile;
  symbolicName: string;
  /** The module's file, relative to infra/. */
  target: string;
  body: Node;
  params: Node | undefined;
}

export function modules(file: BicepFile): ModuleDeclaration[] {
  return file.root.namedChildren
    .filter((node) => node.type === 'module_declaration')
    .map((node) => {
      const source = stringLiteral(node.namedChildren[1]) ?? '';
      const body =
        node.namedChildren.find((child) => child.type === 'object') ??
        node.namedChildren.find((child) => child.type === 'if_statement')?.namedChildren.find((child) => child.type === 'object');
      if (!body) throw new Error(`${file.path}: module without a body at line ${node.startPosition.row + 1}`);
      return {
        file,
        symbolicName: node.namedChildren[0]?.text ?? '',
        target: posix.normalize(posix.join(posix.dirname(file.path), source)),
        body,
        params: property(body, 'params'),
      };
    });
}

function namedDeclaration(file: BicepFile, type: string, name: string): Node | undefined {
  return file.root.namedChildren.find((node) => node.type === type && node.namedChildren[0]?.text === name);
}

/** The expression a `var` is bound to. */
export function variableValue(file: BicepFile, name: string): Node | undefined {
  const declaration = namedDeclaration(file, 'variable_declaration', name);
  return declaration?.namedChildren[1];
}

/** The `decorators` node written above the declaration at `index` (comments in between allowed). */
function precedingDecorators(children: Node[], index: number): Node | undefined {
  for (let position = index - 1; position >= 0; position -= 1) {
    const node = children[position];
    if (node?.type === 'comment') continue;
    return node?.type === 'decorators' ? node : undefined;
  }
  return undefined;
}

export interface ParameterDeclaration {
  name: string;
  node: Node;
  defaultValue: Node | undefined;
  /** Decorators written above the declaration, by function name (`secure`, `allowed`, ...). */
  decorators: Map<string, Node>;
}

export function parameters(file: BicepFile): ParameterDeclaration[] {
  const children = file.root.namedChildren;
  return children.flatMap((node, index) => {
    if (node.type !== 'parameter_declaration') return [];
    const decorators = new Map<string, Node>();
    const previous = precedingDecorators(children, index);
    if (previous) {
      for (const decorator of previous.namedChildren) {
        const call = decorator.namedChildren[0];
        const name = call?.childForFieldName('function')?.text;
        if (call && name) decorators.set(name, call);
      }
    }
    const defaultValue = node.namedChildren.find((child, position) => position >= 2 && child.type !== 'type');
    return [{ name: node.namedChildren[0]?.text ?? '', node, defaultValue, decorators }];
  });
}

export function parameter(file: BicepFile, name: string): ParameterDeclaration | undefined {
  return parameters(file).find((declaration) => declaration.name === name);
}

export interface OutputDeclaration {
  name: string;
  node: Node;
  value: Node | undefined;
  secure: boolean;
}

export function outputs(file: BicepFile): OutputDeclaration[] {
  const children = file.root.namedChildren;
  return children.flatMap((node, index) => {
    if (node.type !== 'output_declaration') return [];
    const previous = precedingDecorators(children, index);
    const secure = previous?.namedChildren.some((decorator) => decorator.namedChildren[0]?.childForFieldName('function')?.text === 'secure') ?? false;
    return [{ name: node.namedChildren[0]?.text ?? '', node, value: node.namedChildren.at(-1), secure }];
  });
}

/** Name of the function a call calls: `listKeys` for both `listKeys(...)` and `storage.listKeys()`. */
export function calledFunction(call: Node): string | undefined {
  const fn = call.childForFieldName('function');
  if (!fn) return undefined;
  return fn.type === 'member_expression' ? fn.childForFieldName('property')?.text : fn.text;
}

export function callArguments(call: Node): Node[] {
  return call.childForFieldName('arguments')?.namedChildren ?? [];
}

// ---------------------------------------------------------------------------------------------
// Evaluation: just enough of Bicep to follow settings through variables, modules and union().

/** Where an expression is evaluated: its file and, inside a module, the caller's `params`. */
export interface Scope {
  infra: Infra;
  file: BicepFile;
  caller?: { scope: Scope; params: Node | undefined };
}

/** A value bound to a key, with the scope its expression lives in. */
export interface Bound {
  node: Node;
  scope: Scope;
}

/** Follows identifiers (variables; parameters to the module caller's argument) and parentheses. */
export function dereference(node: Node, scope: Scope, seen = new Set<string>()): Bound {
  const at = `${scope.file.path}:${node.startIndex}:${node.endIndex}`;
  if (seen.has(at)) return { node, scope };
  seen.add(at);
  if (node.type === 'parenthesized_expression' && node.namedChildren[0]) {
    return dereference(node.namedChildren[0], scope, seen);
  }
  if (node.type === 'identifier') {
    const variable = variableValue(scope.file, node.text);
    if (variable) return dereference(variable, scope, seen);
    const argument = scope.caller ? property(scope.caller.params, node.text) : undefined;
    if (argument && scope.caller) return dereference(argument, scope.caller.scope, seen);
    const declared = parameter(scope.file, node.text);
    if (declared?.defaultValue) return dereference(declared.defaultValue, scope, seen);
  }
  if (node.type === 'member_expression') {
    const object = node.childForFieldName('object');
    const key = node.childForFieldName('property')?.text;
    if (object && key) {
      const target = dereference(object, scope, seen);
      const value = target.node.type === 'object' ? property(target.node, key) : undefined;
      if (value) return dereference(value, target.scope, seen);
    }
  }
  return { node, scope };
}

/** Every string the expression may evaluate to, when that is knowable from the tree. */
export function possibleStrings(node: Node, scope: Scope): string[] | undefined {
  const { node: value, scope: valueScope } = dereference(node, scope);
  if (value.type === 'ternary_expression') {
    const consequence = value.childForFieldName('consequence');
    const alternative = value.childForFieldName('alternative');
    const left = consequence ? possibleStrings(consequence, valueScope) : undefined;
    const right = alternative ? possibleStrings(alternative, valueScope) : undefined;
    return left && right ? [...new Set([...left, ...right])] : undefined;
  }
  const text = stringLiteral(value);
  return text === undefined ? undefined : [text];
}

/** The one string the expression evaluates to, when knowable. */
export function evaluateString(node: Node | undefined, scope: Scope): string | undefined {
  if (!node) return undefined;
  const values = possibleStrings(node, scope);
  return values?.length === 1 ? values[0] : undefined;
}

/** `definite`: keys present whatever the conditions; `possible`: keys present in some branch. */
export type Certainty = 'definite' | 'possible';

/**
 * Entries of an object-valued expression: object literals, variables, module parameters, and
 * `union(a, b, ...)` (later arguments win, as in Bicep). Under a ternary, a key is definite only if
 * both branches set it. Anything else (an unbound parameter, a function result) contributes no key.
 */
export function objectEntries(node: Node, scope: Scope, certainty: Certainty = 'definite'): Map<string, Bound> {
  const { node: value, scope: valueScope } = dereference(node, scope);
  const entries = new Map<string, Bound>();
  if (value.type === 'object') {
    for (const child of value.namedChildren) {
      if (child.type !== 'object_property') continue;
      const key = propertyKey(child);
      const bound = propertyValue(child);
      if (key !== undefined && bound) entries.set(key, { node: bound, scope: valueScope });
    }
  } else if (value.type === 'call_expression' && calledFunction(value) === 'union') {
    for (const argument of callArguments(value)) {
      for (const [key, bound] of objectEntries(argument, valueScope, certainty)) entries.set(key, bound);
    }
  } else if (value.type === 'ternary_expression') {
    const consequence = value.childForFieldName('consequence');
    const alternative = value.childForFieldName('alternative');
    const left = consequence ? objectEntries(consequence, valueScope, certainty) : new Map<string, Bound>();
    const right = alternative ? objectEntries(alternative, valueScope, certainty) : new Map<string, Bound>();
    for (const [key, bound] of left) if (certainty === 'possible' || right.has(key)) entries.set(key, bound);
    if (certainty === 'possible') for (const [key, bound] of right) if (!entries.has(key)) entries.set(key, bound);
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// The Function App's app settings

export interface AppSettingsSource {
  /** The `Microsoft.Web/sites/config` resource named `appsettings`. */
  resource: ResourceDeclaration;
  /** Scope of that module as `main.bicep` calls it. */
  scope: Scope;
}

/**
 * Finds the app settings resource in the modules main.bicep calls (or in main.bicep itself) and
 * returns it with the scope that binds the module's parameters to main.bicep's arguments.
 */
export function appSettingsSource(infra: Infra, entry = 'main.bicep'): AppSettingsSource {
  const main = fileOf(infra, entry);
  const mainScope: Scope = { infra, file: main };
  const candidates: AppSettingsSource[] = [];
  const consider = (file: BicepFile, scope: Scope): void => {
    for (const resource of resources(file)) {
      if (resource.type === 'Microsoft.Web/sites/config' && !resource.existing && evaluateString(property(resource.body, 'name'), scope) === 'appsettings') {
        candidates.push({ resource, scope });
      }
    }
  };
  consider(main, mainScope);
  for (const module of modules(main)) {
    const target = infra.get(module.target);
    if (target) consider(target, { infra, file: target, caller: { scope: mainScope, params: module.params } });
  }
  if (candidates.length !== 1) throw new Error(`expected one appsettings resource, found ${candidates.length}`);
  const [found] = candidates;
  if (!found) throw new Error('unreachable');
  return found;
}

/** App settings the template sets, by name, with the expression that gives each its value. */
export function appSettings(infra: Infra, certainty: Certainty = 'definite'): Map<string, Bound> {
  const { resource, scope } = appSettingsSource(infra);
  const properties = property(resource.body, 'properties');
  if (!properties) throw new Error('the appsettings resource has no properties');
  return objectEntries(properties, scope, certainty);
}

/** The drift check: names from `required` that the template does not always set. */
export function missingAppSettings(infra: Infra, required: readonly string[]): string[] {
  const set = appSettings(infra, 'definite');
  return required.filter((name) => !set.has(name));
}

// ---------------------------------------------------------------------------------------------
// Module outputs, resource references and string templates

/**
 * `<module>.outputs.<name>` written in `scope.file`: the output's expression inside the module's
 * file, in a scope that binds the module's parameters to the caller's arguments.
 */
export function moduleOutput(node: Node, scope: Scope): Bound | undefined {
  if (node.type !== 'member_expression') return undefined;
  const outputsOf = node.childForFieldName('object');
  const name = node.childForFieldName('property')?.text;
  if (outputsOf?.type !== 'member_expression' || outputsOf.childForFieldName('property')?.text !== 'outputs') return undefined;
  const symbol = outputsOf.childForFieldName('object')?.text;
  const module = modules(scope.file).find((candidate) => candidate.symbolicName === symbol);
  const target = module ? scope.infra.get(module.target) : undefined;
  const output = target ? outputs(target).find((candidate) => candidate.name === name) : undefined;
  if (!module || !target || !output?.value) return undefined;
  return { node: output.value, scope: { infra: scope.infra, file: target, caller: { scope, params: module.params } } };
}

/** Follows variables, module parameters and module outputs to the expression that gives the value. */
export function resolve(node: Node, scope: Scope): Bound {
  let bound = dereference(node, scope);
  for (let hops = 0; hops < 32; hops += 1) {
    const next = moduleOutput(bound.node, bound.scope);
    if (!next) return bound;
    bound = dereference(next.node, next.scope);
  }
  return bound;
}

/** The resource a reference like `app.appId`, `app.identifierUris[0]` or `app.id` starts from. */
export function referencedResource(node: Node, file: BicepFile): ResourceDeclaration | undefined {
  let base: Node | null = node;
  while (base && (base.type === 'member_expression' || base.type === 'subscript_expression')) base = base.childForFieldName('object');
  return base?.type === 'identifier' ? resourceBySymbol(file, base.text) : undefined;
}

/**
 * A string with each interpolation shown as `${<what it dereferences to>}` (variables and module
 * parameters followed, module outputs not), e.g. `${api.outputs.serviceUrl}/portal/`. Any other
 * expression: the source text it dereferences to.
 */
export function template(node: Node, scope: Scope): string {
  const { node: value, scope: valueScope } = dereference(node, scope);
  if (value.type !== 'string') return value.text;
  return value.namedChildren
    .map((child) => {
      if (child.type === 'interpolation') {
        const expression = child.namedChildren[0];
        return expression ? `\${${template(expression, valueScope)}}` : '${}';
      }
      return child.type === 'escape_sequence' ? unescapeBicep(child.text) : child.text;
    })
    .join('');
}

/** The `key: value` node of an object (for removing a property from a copy of the text). */
export function propertyNode(object: Node | undefined, key: string): Node | undefined {
  if (object?.type !== 'object') return undefined;
  return object.namedChildren.find((child) => child.type === 'object_property' && propertyKey(child) === key);
}

/** `file`'s text without the lines `node` spans. */
export function textWithout(file: BicepFile, node: Node): string {
  const { row: first } = node.startPosition;
  const { row: last } = node.endPosition;
  return file.text
    .split('\n')
    .filter((_, row) => row < first || row > last)
    .join('\n');
}
