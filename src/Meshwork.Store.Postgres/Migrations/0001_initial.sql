-- Objects as the JSON documents ResourceJson writes (the source of truth), keyed by kind,
-- namespace ('' for cluster-scoped kinds) and name. The server-set metadata is kept in columns too,
-- so that it is authoritative whatever the document says. Keys compare byte by byte (COLLATE "C"),
-- so lists come back in the same order on every backend whatever the cluster's locale.
CREATE TABLE resources (
    kind               text COLLATE "C" NOT NULL,
    namespace          text COLLATE "C" NOT NULL,
    name               text COLLATE "C" NOT NULL,
    uid                text   NOT NULL,
    resource_version   bigint NOT NULL,
    generation         bigint NOT NULL,
    creation_timestamp text   NOT NULL,
    body               text   NOT NULL,
    -- A Service's spec.clusterIP: the unique index is the last word on an address, whichever replica assigned it.
    cluster_ip         text,
    PRIMARY KEY (kind, namespace, name)
);

CREATE INDEX resources_by_namespace ON resources (namespace, kind, name);
CREATE UNIQUE INDEX resources_by_cluster_ip ON resources (cluster_ip) WHERE cluster_ip IS NOT NULL;

-- The change feed every replica follows: one row per change, revision = the object's
-- resourceVersion after the change (for a delete: the revision of the delete, body = its last state).
CREATE TABLE events (
    revision           bigint PRIMARY KEY,
    type               text   NOT NULL CHECK (type IN ('Added', 'Modified', 'Deleted')),
    kind               text COLLATE "C" NOT NULL,
    namespace          text COLLATE "C" NOT NULL,
    name               text COLLATE "C" NOT NULL,
    uid                text   NOT NULL,
    generation         bigint NOT NULL,
    creation_timestamp text   NOT NULL,
    body               text   NOT NULL
);

-- One row: the store's revision, and the newest revision the change feed no longer holds. Every
-- write transaction locks this row first (SELECT ... FOR UPDATE): writers of all replicas are
-- serialized, revisions have no gaps and commit in order, so "revision > N" never skips a change.
CREATE TABLE store_state (
    id                integer PRIMARY KEY CHECK (id = 1),
    revision          bigint NOT NULL,
    compacted_through bigint NOT NULL
);

INSERT INTO store_state (id, revision, compacted_through) VALUES (1, 0, 0);
