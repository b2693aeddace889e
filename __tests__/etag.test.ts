import { createHash } from 'node:crypto';
import { compareEtag, etagIsContentHash, multipartEtag, partSizeFor, usesMultipart } from '../src/etag.js';

const MiB = 1024 * 1024;
const md5 = (data: Buffer) => createHash('md5').update(data).digest();

describe('multipart ETag arithmetic', () => {
  it('uses 8 MiB parts, growing in whole MiB only past 10,000 parts', () => {
    expect(usesMultipart(8 * MiB - 1)).toBe(false);
    expect(usesMultipart(8 * MiB)).toBe(true);
    expect(partSizeFor(100 * MiB)).toBe(8 * MiB);
    expect(partSizeFor(80_000 * MiB)).toBe(8 * MiB);
    expect(partSizeFor(80_001 * MiB)).toBe(9 * MiB);
  });

  it("matches S3's ETag for a 3-part upload (vector computed independently with Python's hashlib)", () => {
    const size = 17 * MiB + 5;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = i % 251;
    const parts = [0, 8 * MiB, 16 * MiB].map((start) => md5(data.subarray(start, start + 8 * MiB)));
    expect(multipartEtag(parts)).toBe('790b520857a651dea4afc36fe222752d-3');
  });
});

describe('compareEtag', () => {
  const single = { md5: '312cbee60da9726dcefebd0273585e5e' };
  const large = { md5: '312cbee60da9726dcefebd0273585e5e', multipartEtag: '790b520857a651dea4afc36fe222752d-3' };

  it('compares a single-part ETag with the MD5, quotes and case aside', () => {
    expect(compareEtag('"312cbee60da9726dcefebd0273585e5e"', single)).toBe('same');
    expect(compareEtag('"312CBEE60DA9726DCEFEBD0273585E5E"', single)).toBe('same');
    expect(compareEtag('"00000000000000000000000000000000"', single)).toBe('different');
  });

  it('compares a multipart ETag with the multipart hash of the same part count', () => {
    expect(compareEtag('"790b520857a651dea4afc36fe222752d-3"', large)).toBe('same');
    expect(compareEtag('"00000000000000000000000000000000-3"', large)).toBe('different');
  });

  it('accepts the whole-object MD5 that some stores give multipart uploads', () => {
    expect(compareEtag('"312cbee60da9726dcefebd0273585e5e"', large)).toBe('same');
  });

  it('cannot compare a multipart ETag of another part size, nor a non-MD5 ETag', () => {
    expect(compareEtag('"790b520857a651dea4afc36fe222752d-4"', large)).toBe('incomparable');
    expect(compareEtag('"790b520857a651dea4afc36fe222752d-2"', single)).toBe('incomparable');
    expect(compareEtag('"not-an-md5"', single)).toBe('incomparable');
  });
});

describe('etagIsContentHash', () => {
  const md5Hex = '312cbee60da9726dcefebd0273585e5e';
  const parts = '790b520857a651dea4afc36fe222752d-3';

  it('recognises the MD5 of the bytes written, in single-part, multipart and whole-MD5 forms', () => {
    expect(etagIsContentHash({ etag: md5Hex, md5: md5Hex })).toBe(true);
    expect(etagIsContentHash({ etag: parts, md5: md5Hex, multipartEtag: parts })).toBe(true);
    expect(etagIsContentHash({ etag: md5Hex, md5: md5Hex, multipartEtag: parts })).toBe(true);
  });

  it('says no for an ETag that is not a hash of those bytes, even one shaped like an MD5 (SSE-KMS)', () => {
    expect(etagIsContentHash({ etag: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', md5: md5Hex })).toBe(false);
    expect(etagIsContentHash({ etag: 'a1b2c3d4e5f60718293a4b5c6d7e8f90-3', md5: md5Hex, multipartEtag: parts })).toBe(
      false,
    );
    expect(etagIsContentHash({ etag: '', md5: md5Hex })).toBe(false);
  });
});
