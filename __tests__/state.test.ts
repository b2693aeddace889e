import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { type HeaderRules, NO_HEADER_RULES } from '../src/headers.js';
import {
  type DeployState,
  EVERYTHING,
  StateStore,
  clearPending,
  cleanState,
  complete,
  emptyState,
  journal,
  recordWrites,
  stateChanged,
} from '../src/state.js';

const noClient = {} as S3Client;
const warnings: string[] = [];
const store = (prefix = 'site/', distributionIds = ['EDIST000001']) =>
  new StateStore(
    { client: noClient, bucket: 'my-bucket', prefix },
    (message) => warnings.push(message),
    distributionIds,
  );
const RULES: HeaderRules = { ...NO_HEADER_RULES, cacheControl: [{ glob: '*.html', value: 'no-cache' }] };
const A = 'a'.repeat(32);

beforeEach(() => {
  warnings.length = 0;
});

function busyState(s: StateStore): DeployState {
  const state = cleanState(RULES);
  state.pending.set('EDIST000001', new Set([s.digest('unreleased/launch.html'), s.digest('old/removed-page.html')]));
  state.removals.set(s.digest('assets/secret-plan.js'), 1_800_000_000_000);
  state.written.set(s.digest('index.html'), { etag: 'f'.repeat(32), md5: A });
  return state;
}

describe('the state object', () => {
  it('reads back exactly what it wrote', () => {
    const s = store();
    const state = busyState(s);
    expect(s.parse(s.serialize(state))).toEqual(state);
  });

  it('names nothing a visitor could read, not even the distribution: only salted digests', () => {
    const s = store();
    const body = s.serialize(busyState(s));
    for (const name of ['unreleased', 'launch', 'removed-page', 'secret-plan', 'index.html', 'EDIST000001']) {
      expect(body).not.toContain(name);
    }
  });

  it("keeps another deploy's distribution's pending keys as they are, without knowing its id", () => {
    const s = store();
    const body = s.serialize(busyState(s));
    const other = store('site/', ['EOTHER00001']);
    const reread = other.parse(body);
    expect(other.serialize(reread)).toBe(body);
    expect(reread.pending.has('EDIST000001')).toBe(false);
  });

  it('digests differ per bucket and prefix, so one list of guesses does not fit every bucket', () => {
    expect(store('a/').digest('index.html')).not.toBe(store('b/').digest('index.html'));
    expect(store('a/').digest('index.html')).toBe(store('a/').digest('index.html'));
  });

  it("writes the clean state byte for byte the same, so the listing's ETag alone can recognise it", () => {
    const s = store();
    const first = s.serialize(cleanState(RULES));
    expect(s.serialize(cleanState(RULES))).toBe(first);
    expect(s.serialize(cleanState(NO_HEADER_RULES))).not.toBe(first);
    expect(createHash('md5').update(first).digest('hex')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('treats the first version\'s rules manifest as "headers unknown", and anything unreadable as "everything pending"', () => {
    const s = store();
    expect(s.parse(JSON.stringify({ version: 1, rules: RULES }))).toEqual(emptyState());
    for (const unreadable of ['{not json', 'null', '[]', JSON.stringify({ format: 1 })]) {
      const state = s.parse(unreadable);
      expect([state.headersKnown, [...(state.pending.get('EDIST000001') ?? [])]]).toEqual([false, [EVERYTHING]]);
    }
    expect(warnings).toHaveLength(4);
  });

  it('refuses to overwrite a state written by a newer version', () => {
    expect(() => store().parse(JSON.stringify({ format: 99 }))).toThrow(/newer version of this action \(format 99\)/);
  });
});

const write = (deployId: string) => ({ deployId, writesObjects: true, digest: (key: string) => key });

describe('state transitions', () => {
  const R2: HeaderRules = { ...NO_HEADER_RULES, cacheControl: [{ glob: '*.html', value: 'immutable' }] };

  it('journals pending keys per distribution and the rules being applied, keeping the old ones', () => {
    const state = journal(cleanState(RULES), {
      distributionIds: ['E1', 'E2'],
      keys: ['a.html'],
      rules: R2,
      ...write('d1'),
    });
    expect(state.ruleSets).toEqual([RULES, R2]);
    expect([...(state.pending.get('E1') ?? [])]).toEqual(['a.html']);
    const again = journal(clearPending(state, ['E1']), {
      distributionIds: ['E1', 'E2'],
      keys: ['b.css'],
      rules: R2,
      ...write('d2'),
    });
    expect([...(again.pending.get('E1') ?? [])]).toEqual(['b.css']);
    expect([...(again.pending.get('E2') ?? [])]).toEqual(['a.html', 'b.css']);
  });

  it("keeps the pending keys' deploy for a re-run that writes nothing, and never for one that writes", () => {
    const first = journal(cleanState(RULES), {
      distributionIds: ['E1'],
      keys: ['a.html'],
      rules: RULES,
      ...write('d1'),
    });
    expect(first.deployId).toBe('d1');
    // A crash after CreateInvalidation, then a re-run with the same build: the same invalidation comes back.
    const retry = journal(first, {
      ...write('d2'),
      distributionIds: ['E1'],
      keys: [],
      rules: RULES,
      deployId: 'd2',
      writesObjects: false,
    });
    expect(retry.deployId).toBe('d1');
    // A re-run that writes (a -> b -> a) must not get an invalidation made before its writes.
    expect(journal(first, { distributionIds: ['E1'], keys: ['a.html'], rules: RULES, ...write('d3') }).deployId).toBe(
      'd3',
    );
    expect(clearPending(first, ['E1']).deployId).toBeUndefined();
  });

  it('catalogs only ETags that are not the MD5, and forgets deleted keys', () => {
    const digest = (key: string) => `#${key}`;
    const state = recordWrites(cleanState(RULES), digest, {
      written: [
        { key: 'md5.js', etag: A, md5: A },
        { key: 'kms.js', etag: 'f'.repeat(32), md5: A },
        { key: 'big.bin', etag: `${'c'.repeat(32)}-3`, md5: A, multipartEtag: `${'c'.repeat(32)}-3` },
        { key: 'kms-big.bin', etag: `${'d'.repeat(32)}-3`, md5: A, multipartEtag: `${'c'.repeat(32)}-3` },
      ],
      deleted: [],
    });
    expect([...state.written.keys()].sort()).toEqual(['#kms-big.bin', '#kms.js']);
    expect([...recordWrites(state, digest, { written: [], deleted: ['kms.js'] }).written.keys()]).toEqual([
      '#kms-big.bin',
    ]);
  });

  it("starts the grace clocks only when nothing is pending on the deploy's distributions", () => {
    const removals = new Map([['#x.png', 0]]);
    const pending = journal(cleanState(RULES), {
      distributionIds: ['E1'],
      keys: ['a.html'],
      rules: RULES,
      ...write('d1'),
    });
    expect(complete(pending, { rules: RULES, removals, distributionIds: ['E1'], now: 5 }).removals.get('#x.png')).toBe(
      0,
    );
    expect(
      complete(clearPending(pending, ['E1']), { rules: RULES, removals, distributionIds: ['E1'], now: 5 }).removals.get(
        '#x.png',
      ),
    ).toBe(5);
  });

  it('sees a change only where the bucket would hold something else', () => {
    const a = busyState(store());
    const b = busyState(store());
    expect(stateChanged(a, b)).toBe(false);
    b.pending.set('EDIST000001', new Set(['other.html']));
    expect(stateChanged(a, b)).toBe(true);
  });
});
