-- Objects as the JSON documents ResourceJson writes (the source of truth), keyed by kind,
-- namespace ('' for cluster-scoped kinds) and name. The server-set metadata is kept in columns too,
-- so that it is authoritative whatever the document says.
CREATE TABLE resources (
    kind               TEXT    NOT NULL,
    namespace          TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    uid                TEXT    NOT NULL,
    resource_version   INTEGER NOT NULL,
    generation         INTEGER NOT NULL,
    creation_timestamp TEXT    NOT NULL,
    body               TEXT    NOT NULL,
    PRIMARY KEY (kind, namespace, name)
) WITHOUT ROWID;

CREATE INDEX resources_by_namespace ON resources (namespace, kind, name);

-- The change feed: one row per change, revision = the object's resourceVersion after the change
-- (for a delete: the revision of the delete, body = the object's last state).
CREATE TABLE events (
    revision           INTEGER PRIMARY KEY,
    type               TEXT    NOT NULL CHECK (type IN ('Added', 'Modified', 'Deleted')),
    kind               TEXT    NOT NULL,
    namespace          TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    uid                TEXT    NOT NULL,
    generation         INTEGER NOT NULL,
    creation_timestamp TEXT    NOT NULL,
    body               TEXT    NOT NULL
);

-- One row: the store's revision, and the newest revision the change feed no longer holds.
CREATE TABLE store_state (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    revision          INTEGER NOT NULL,
    compacted_through INTEGER NOT NULL
);

INSERT INTO store_state (id, revision, compacted_through) VALUES (1, 0, 0);
