import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NEAR_DUPLICATE_SIMILARITY, minhash, similarity } from '../../src/domain/minhash.js';

const LETTER = `Geachte heer Jansen, hierbij ontvangt u onze offerte voor het onderhoud van de broodlijn en de ovens
in uw vestiging aan de Oudegracht. Het onderhoud omvat twee bezoeken per jaar, de vervanging van slijtdelen en
een storingsdienst op werkdagen. De totale prijs bedraagt 4.850 euro exclusief btw. Met vriendelijke groet.`;

describe(minhash.name, () => {
  it('given the same letter with OCR slips when compared then the similarity is high', () => {
    const noisy = LETTER.replace('onderhoud van', 'onderhoud vam').replace('vestiging', 'vestigimg').replace('werkdagen', 'werkdaqen');
    assert.ok(similarity(minhash(LETTER)!, minhash(noisy)!) >= NEAR_DUPLICATE_SIMILARITY, 'similarity(minhash(LETTER)!, minhash(noisy)!) >= NEAR_DUPLICATE_SIMILARITY');
  });
  it('given an unrelated letter when compared then the similarity is low', () => {
    const other = `Dear customer, your invoice for the spring campaign is attached. Please pay within thirty days to the account
    mentioned below. For questions about delivery times contact our service desk, which is open from eight to five.`;
    assert.ok(similarity(minhash(LETTER)!, minhash(other)!) < 0.2, 'similarity(minhash(LETTER)!, minhash(other)!) < 0.2');
  });
  it('given a very short text when hashed then there is no signature', () => {
    assert.equal(minhash('Factuur 12'), null);
  });
});
