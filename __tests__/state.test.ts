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
const store = (prefix = 'site/') =>
  new StateStore({ client: noClient, bucket: 'my-bucket', prefix }, (message) => warnings.push(message));
const RULES: HeaderRules = { ...NO_HEADER_RULES, cacheControl: [{ glob: '*.html', value: 'no-cache' }] };
const A = 'a'.repeat(32);

beforeEach(() => {
  warnings.length = 0;
});

function busyState(s: StateStore): DeployState {
  const state = cleanState(RULES);
  state.pending.set('EDIST000001', new Set(['unreleased/launch.html', 'old/removed-page.html']));
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

  it('names nothing a visitor could read: keys are digests, pending keys are sealed', () => {
    const s = store();
    const body = s.serialize(busyState(s));
    for (const name of ['unreleased', 'launch', 'removed-page', 'secret-plan', 'index.html']) {
      expect(body).not.toContain(name);
    }
    // Sealed under the distribution id: another id (or a visitor guessing) cannot open it.
    const parsed = JSON.parse(body) as { pending: Record<string, string> };
    const other = store();
    const tampered = JSON.stringify({ ...JSON.parse(body), pending: { EOTHER00001: parsed.pending.EDIST000001 } });
    expect([...(other.parse(tampered).pending.get('EOTHER00001') ?? [])]).toEqual([EVERYTHING]);
    expect(warnings.join()).toMatch(/could not be read back; everything under the prefix will be invalidated/);
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

  it('treats the first version\'s rules manifest, and anything unreadable, as "headers unknown"', () => {
    const s = store();
    expect(s.parse(JSON.stringify({ version: 1, rules: RULES }))).toEqual(emptyState());
    expect(s.parse('{not json')).toEqual(emptyState());
    expect(s.parse(JSON.stringify({ format: 99 }))).toEqual(emptyState());
    expect(warnings).toHaveLength(2);
  });
});

const write = (deployId: string) => ({ deployId, writesObjects: true });

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
