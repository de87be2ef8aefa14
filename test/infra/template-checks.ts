/**
 * Policy checks over the parsed templates that the tests run both on the real templates and on
 * deliberately broken copies (to prove each check can fail).
 */
import { allResources, appSettings, calledFunction, descendants, outputs, parameters, type Infra } from './bicep-tree.js';

/** Text that only appears in a credential: account keys, SAS tokens, key-bearing connection strings. */
const CREDENTIAL_TEXT = /AccountKey=|SharedAccessKey|SharedAccessSignature|[?&]sig=|\.listKeys\b|primaryKey|secondaryKey|primaryMasterKey|\.keys\[/i;

/** Functions that read keys or secrets at deployment time (listKeys, listAccountSas, getSecret, ...). */
function readsCredentials(name: string | undefined): boolean {
  return name !== undefined && (/^list[A-Z]/.test(name) || name === 'getSecret');
}

/** Setting or output names that announce a secret; the allowed ones carry identifiers only. */
const SECRET_NAME = /SECRET|PASSWORD|ACCOUNT_?KEY|ACCESS_?KEY|SAS|CONNECTION_?STRING|CONNECTIONSTRING|TOKEN/i;
const NOT_SECRET = new Set([
  // Identifies the Application Insights component; with local auth disabled it authorizes nothing.
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
]);

/** Everything in the templates that looks like a secret being created, read, passed or returned. */
export function secretFindings(infra: Infra): string[] {
  const findings: string[] = [];
  for (const file of infra.values()) {
    for (const call of descendants(file.root, 'call_expression')) {
      const name = calledFunction(call);
      if (readsCredentials(name)) findings.push(`${file.path}:${call.startPosition.row + 1} calls ${name}()`);
    }
    for (const declared of parameters(file)) {
      if (declared.decorators.has('secure')) findings.push(`${file.path}: parameter ${declared.name} is @secure()`);
    }
    for (const output of outputs(file)) {
      if (output.secure) findings.push(`${file.path}: output ${output.name} is @secure()`);
      if (SECRET_NAME.test(output.name)) findings.push(`${file.path}: output ${output.name} is named like a secret`);
      if (output.value && CREDENTIAL_TEXT.test(output.value.text)) findings.push(`${file.path}: output ${output.name} carries a credential`);
    }
  }
  for (const resource of allResources(infra)) {
    if (resource.type.toLowerCase() === 'microsoft.keyvault/vaults/secrets' && !resource.existing) {
      findings.push(`${resource.file.path}: creates Key Vault secret ${resource.symbolicName}`);
    }
  }
  for (const [name, bound] of appSettings(infra, 'possible')) {
    if (SECRET_NAME.test(name) && !NOT_SECRET.has(name)) findings.push(`app setting ${name} is named like a secret`);
    if (name === 'AzureWebJobsStorage' || name === 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING') {
      findings.push(`app setting ${name} is a storage connection string`);
    }
    if (CREDENTIAL_TEXT.test(bound.node.text)) findings.push(`app setting ${name} carries a credential`);
  }
  return findings;
}
