import { describe, expect, it } from 'vitest';
import { decodeEntities, findConsentForm, htmlToText } from '../../cli/client/onboarding.js';

describe('reading the consent and result pages like a browser', () => {
  it('finds the consent form with its action (entities decoded, relative to the page) and hidden fields', () => {
    const html = `<html><body><form method="get" action="/search"><input name="q"></form>
      <form method="post" action="/dev/login/t/v2.0/adminconsent?client_id=a&amp;state=s%2B1">
        <input type="hidden" name="nonce" value="n&#39;1"><input type="text" name="visible" value="x">
        <button name="decision" value="accept">Accept</button><button name="decision" value="cancel">Cancel</button>
      </form></body></html>`;
    expect(findConsentForm(html, 'http://127.0.0.1:7071/dev/login/t/v2.0/adminconsent?client_id=a')).toEqual({
      action: 'http://127.0.0.1:7071/dev/login/t/v2.0/adminconsent?client_id=a&state=s%2B1',
      fields: { nonce: "n'1" },
    });
  });

  it('finds no consent form on a result page', () => {
    expect(findConsentForm('<h1>Onboarding succeeded</h1><a href="/onboarding/start">again</a>', 'http://x/')).toBeUndefined();
  });

  it('turns a result page into readable lines, table cells separated, scripts dropped', () => {
    const html =
      '<html><head><title>t</title><style>p{}</style></head><body><h1>Onboarding succeeded</h1><p>Tenant &lt;Contoso&gt; &amp; co</p>' +
      '<table><tr><th>App</th><th>Id</th></tr><tr><td>service</td><td>sp-1</td></tr></table><script>alert(1)</script></body></html>';
    expect(htmlToText(html)).toBe('Onboarding succeeded\nTenant <Contoso> & co\nApp | Id\nservice | sp-1');
  });

  it('decodes named and numeric entities and leaves unknown ones alone', () => {
    expect(decodeEntities('&quot;a&quot; &#x41;&#66; &bogus;')).toBe('"a" AB &bogus;');
  });
});
