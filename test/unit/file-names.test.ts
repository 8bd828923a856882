import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_FILE_NAME_BYTES, safeFileName } from '../../src/domain/file-names.js';

describe(safeFileName.name, () => {
  it('given control characters when cleaned then none is left', () => {
    assert.equal(safeFileName('factuur\r\n\u0000\u0007 mei\u0085.pdf', 'application/pdf'), 'factuur mei.pdf');
  });

  it('given bidi overrides and isolates when cleaned then the name reads as it is', () => {
    for (const cp of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
      const name = `factuur${String.fromCodePoint(cp)}fdp.exe`;
      assert.equal(safeFileName(name, 'application/pdf'), 'factuurfdp.pdf', cp.toString(16));
    }
  });

  it('given an extension that lies when cleaned then the detected type decides it', () => {
    assert.equal(safeFileName('foto.pdf', 'image/jpeg'), 'foto.jpg');
    assert.equal(safeFileName('scan', 'image/tiff'), 'scan.tif');
    assert.equal(safeFileName('brief.v2.PDF', 'application/pdf'), 'brief.v2.pdf');
    assert.equal(safeFileName('brief.v2.docx'), 'brief.v2.docx', 'without a detected type the name keeps its own');
  });

  it('given a path when cleaned then only the last part is kept', () => {
    assert.equal(safeFileName('../../etc/passwd'), 'passwd');
    assert.equal(safeFileName('C:\\scans\\brief.pdf', 'application/pdf'), 'brief.pdf');
    assert.equal(safeFileName('..', 'application/pdf'), 'document.pdf');
    assert.equal(safeFileName('\u202e\r\n'), null);
  });

  it('given a name far over 255 bytes when cleaned then it is cut between characters and keeps its extension', () => {
    for (const unit of ['a', 'é', '€', '😀']) {
      const name = safeFileName(unit.repeat(400) + '.png', 'image/png')!;
      assert.ok(Buffer.byteLength(name) <= MAX_FILE_NAME_BYTES, `${unit}: ${Buffer.byteLength(name)}`);
      assert.ok(name.endsWith('.png'));
      assert.ok(!name.includes('\uFFFD'));
      assert.equal([...name.slice(0, -4)].every((c) => c === unit), true, 'no half characters');
    }
  });
});
