// Least-recently-updated order for bounded stores (entity histories, horizon tracks): a doubly
// linked list through the items themselves, moved to the newest end on every update. A Map
// re-inserted per update (a delete and a set per closed window) cost more than the work it kept.

/** An item of a RecencyList: its neighbours (older: updated before it). */
export interface RecencyLinks<T> {
  older: T | null;
  newer: T | null;
}

export class RecencyList<T extends RecencyLinks<T>> {
  /** The least recently updated item: the one to drop first. */
  oldest: T | null = null;
  newest: T | null = null;

  /** Links a new item in as the newest. */
  append(item: T): void {
    item.older = this.newest;
    item.newer = null;
    if (this.newest === null) this.oldest = item;
    else this.newest.newer = item;
    this.newest = item;
  }

  /** Moves an item already in the list to the newest end. */
  touch(item: T): void {
    if (item === this.newest) return;
    this.unlink(item);
    this.append(item);
  }

  unlink(item: T): void {
    if (item.older === null) this.oldest = item.newer;
    else item.older.newer = item.newer;
    if (item.newer === null) this.newest = item.older;
    else item.newer.older = item.older;
    item.older = null;
    item.newer = null;
  }
}
