-- One row per control-plane replica, kept fresh by its heartbeat (the database's clock, so hosts
-- whose clocks differ still agree on who is alive). The leader column mirrors who holds the mesh's
-- leader advisory lock; the lock itself is the truth.
CREATE TABLE replicas (
    id                text PRIMARY KEY,
    url               text        NOT NULL,
    host              text        NOT NULL,
    pid               integer     NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT now(),
    heartbeat_at      timestamptz NOT NULL DEFAULT now(),
    connected_proxies integer     NOT NULL DEFAULT 0,
    leader            boolean     NOT NULL DEFAULT false
);

-- The mesh's key material (CA key and certificates, bootstrap token key, admin token), sealed
-- with AES-256-GCM under the key the operator gives every replica; the name is the additional
-- authenticated data, so a sealed value cannot be moved to another name.
CREATE TABLE mesh_secrets (
    name       text PRIMARY KEY,
    key_id     text        NOT NULL,
    nonce      bytea       NOT NULL,
    ciphertext bytea       NOT NULL,
    tag        bytea       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
