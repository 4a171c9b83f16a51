import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionStates, rebuildStart } from './partitions.js';

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
