// generated from schemas/avro/access-event-batch.avsc by gen-types; do not edit.
// To change these types, edit the schema, then run: npx tsc -p . && node dist/services/shared/avro/gen-types.js

/** Consecutive AccessEvents of one principal on one partition in one Kafka record (key = that principal), so a record's fixed costs are paid once for several events. Readers take a record either as one AccessEvent message or as this; the events keep the partition's order. */
export interface AccessEventBatch {
  /** Each an AccessEvent as a whole single-object encoded message (marker, writer fingerprint, body), in the order they happened */
  events: Buffer[];
}
