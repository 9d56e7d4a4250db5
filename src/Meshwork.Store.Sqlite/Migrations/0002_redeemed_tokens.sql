-- Bootstrap tokens already exchanged for a certificate, each kept until its token expires (Unix
-- seconds): what makes a token one-time, across restarts of the control plane.
CREATE TABLE redeemed_tokens (
    id         TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX redeemed_tokens_by_expiry ON redeemed_tokens (expires_at);
