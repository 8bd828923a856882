import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mailDomain, matchSender } from '../../src/domain/mail-sender.js';

describe(matchSender.name, () => {
  it('given one customer with the exact address when matched then that customer, by address', () => {
    assert.deepEqual(matchSender(['KL-1'], ['KL-1', 'KL-2'], 'firma.nl'), { customerId: 'KL-1', by: 'address' });
  });

  it('given no exact address and one customer at the domain when matched then that customer, by domain', () => {
    assert.deepEqual(matchSender([], ['KL-2'], 'firma.nl'), { customerId: 'KL-2', by: 'domain' });
  });

  it('given a domain several customers share when matched then no one', () => {
    assert.deepEqual(matchSender([], ['KL-1', 'KL-2'], 'firma.nl'), { customerId: null, by: 'ambiguous' });
  });

  it('given a public mail domain when matched then no one, even with a single customer there', () => {
    assert.deepEqual(matchSender([], ['KL-1'], 'gmail.com'), { customerId: null, by: 'public-domain' });
  });
});

describe(mailDomain.name, () => {
  it('given addresses when the domain is asked then lower case, or null for no address', () => {
    assert.equal(mailDomain('Jan@Firma.NL'), 'firma.nl');
    assert.equal(mailDomain('not an address'), null);
    assert.equal(mailDomain('a@localhost'), null);
  });
});
