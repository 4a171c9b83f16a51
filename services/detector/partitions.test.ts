import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ForwardAligner, PartitionStates, rebuildStart } from './partitions.js';

describe('PartitionStates', () => {
  it('keeps owned, live partitions across a rejoin and drops the rest', () => {
    let made = 0;
    const states = new PartitionStates(() => ++made);
    const a = states.open('access', 0, 0, 0);
    const b = states.open('access', 1, 0, 0);
    states.open('by-route', 0, 0, 0);
    a.next = 10;
    b.next = 5;
    const dropped = states.retain({ access: [0, 1] });
    assert.deepEqual(
      dropped.map((s) => `${s.topic}:${s.partition}`),
      ['by-route:0'],
    );
    assert.equal(states.get('access', 0)?.engine, 1);
    assert.equal(states.size, 2);
  });

  it('drops a partition still rebuilding, so its next owner (maybe us) replays it whole', () => {
    const states = new PartitionStates(() => ({}));
    const s = states.open('access', 2, 100, 500);
    assert.equal(s.next, 100);
    assert.equal(s.liveFrom, 500);
    s.next = 300; // half way through the replay
    assert.equal(states.retain({ access: [2] }).length, 1);
    assert.equal(states.get('access', 2), undefined);
  });

  it('a fresh state with nothing to replay starts live', () => {
    const states = new PartitionStates(() => ({}));
    const s = states.open('access', 0, 700, 700);
    assert.equal(s.next, s.liveFrom);
    assert.equal(states.retain({ access: [0] }).length, 0);
  });
});

describe('rebuildStart', () => {
  it('goes back to the time horizon when it is the nearest bound', () => {
    assert.equal(rebuildStart(1000, 0, 400, { maxEvents: 10_000 }), 400);
  });
  it('never further back than maxEvents', () => {
    assert.equal(rebuildStart(1000, 0, 0, { maxEvents: 100 }), 900);
  });
  it('never before the log start', () => {
    assert.equal(rebuildStart(1000, 950, 0, { maxEvents: 10_000 }), 950);
  });
  it('nothing to replay when the horizon answer is the log end or maxEvents is 0', () => {
    assert.equal(rebuildStart(1000, 0, 5000, { maxEvents: 10_000 }), 1000);
    assert.equal(rebuildStart(1000, 0, 0, { maxEvents: 0 }), 1000);
  });
});

describe('ForwardAligner', () => {
  const opts = { maxIdleMs: 1000, maxHeld: 100 };
  const fw = (partition: number, offset: number, ts: number) => ({
    partition,
    offset,
    ts,
    appended: 0,
    message: `${partition}:${offset}`,
  });

  it('releases in event-time order up to the slowest owned partition', () => {
    const a = new ForwardAligner<string>(opts);
    a.retain([0, 1], 0);
    // partition 0 catches up hours ahead; partition 1 is behind
    a.hold(fw(0, 0, 100));
    a.hold(fw(0, 1, 300));
    a.progress(0, 300, false, 10);
    assert.deepEqual(a.release(10), [], 'partition 1 has not been read yet');
    a.hold(fw(1, 0, 50));
    a.hold(fw(1, 1, 200));
    a.progress(1, 200, false, 20);
    assert.deepEqual(
      a.release(20).map((h) => h.message),
      ['1:0', '0:0', '1:1'],
    );
    assert.equal(a.safeOffset(0), 1, 'offset 1 of partition 0 is still held: commit no further');
    assert.equal(a.safeOffset(1), null);
    a.progress(1, 400, false, 30);
    assert.deepEqual(
      a.release(30).map((h) => h.message),
      ['0:1'],
    );
  });

  it('a caught-up partition with nothing new stops holding after maxIdleMs; a lagging one never does', () => {
    const a = new ForwardAligner<string>(opts);
    a.retain([0, 1], 0);
    a.hold(fw(0, 0, 500));
    a.progress(0, 500, false, 0);
    a.progress(1, 100, true, 0);
    assert.equal(a.release(999).length, 0);
    assert.equal(a.release(1000).length, 1, 'partition 1 idle: partition 0 alone sets the watermark');
    const b = new ForwardAligner<string>(opts);
    b.retain([0, 1], 0);
    b.hold(fw(0, 0, 500));
    b.progress(0, 500, false, 0);
    b.progress(1, 100, false, 0);
    assert.equal(b.release(60_000).length, 0, 'partition 1 has a backlog: keep holding');
    const c = new ForwardAligner<string>(opts);
    c.retain([0, 1], 0);
    c.hold(fw(0, 0, 500));
    c.progress(0, 500, false, 0);
    assert.equal(c.release(500).length, 0, 'an assigned partition without a batch yet holds...');
    assert.equal(c.release(1000).length, 1, '...for maxIdleMs');
  });

  it('drops what revoked partitions held, and bounds what it holds', () => {
    const a = new ForwardAligner<string>({ maxIdleMs: 1000, maxHeld: 2 });
    a.retain([0, 1], 0);
    a.hold(fw(1, 0, 10));
    a.retain([0], 0);
    assert.equal(a.held, 0);
    for (let i = 0; i < 3; i++) a.hold(fw(0, i, 100 + i));
    assert.deepEqual(
      a.release(0).map((h) => h.message),
      ['0:0'],
      'the oldest beyond maxHeld goes out',
    );
    a.reset(0, 0);
    assert.equal(a.held, 0);
  });
});
