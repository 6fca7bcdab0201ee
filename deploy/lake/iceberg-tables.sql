-- The Iceberg table the iceberg-sink-conversation-events.json connector appends to (Spark SQL). Created ahead of the
-- connector so that it is partitioned by record time: the Kafka timestamp, which the bridge sets to observed_at.
CREATE TABLE lake.conversation_events (
    ce_id          STRING    NOT NULL,  -- {source}/{conversation_id}/{sequence}: the deduplication key
    ce_type        STRING    NOT NULL,
    ce_dataschema  STRING,
    record_time    TIMESTAMP NOT NULL,  -- = observed_at, the same on every copy of an event
    kafka_partition INT,
    kafka_offset   BIGINT,
    source         STRING    NOT NULL,
    platform       STRING    NOT NULL,
    conversation_id STRING   NOT NULL,
    sequence       BIGINT    NOT NULL,
    observation_id STRING,
    observed_at    STRING,
    effective_at   STRING,
    op             STRING,              -- c / u / d; null on forwarded platform events
    transition     STRUCT<kind: STRING, field: STRING, `from`: STRING, `to`: STRING>,
    changed_fields ARRAY<STRING>,
    before         STRING,              -- the snapshots as JSON text: their attributes vary by platform
    after          STRING
)
USING iceberg
PARTITIONED BY (days(record_time), source);

-- At-least-once delivery means a crash can land an event twice, with the same ce_id and bytes: read through this
-- view (or MERGE INTO a deduplicated table on ce_id).
CREATE VIEW lake.conversation_events_deduplicated AS
SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY ce_id ORDER BY kafka_offset) AS copy
    FROM lake.conversation_events
) WHERE copy = 1;

-- The latest state of each conversation, from the events alone (the conversation-state topic holds the same, compacted).
CREATE VIEW lake.conversation_latest AS
SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY source, conversation_id ORDER BY sequence DESC) AS latest
    FROM lake.conversation_events_deduplicated WHERE op IS NOT NULL
) WHERE latest = 1 AND op <> 'd';
