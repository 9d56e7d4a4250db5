-- Bootstrap tokens already exchanged for a certificate, each kept until its token expires (Unix
-- seconds): what makes a token one-time across every replica, so a token redeemed on one replica
-- is refused on another.
CREATE TABLE redeemed_tokens (
    id         text   PRIMARY KEY,
    expires_at bigint NOT NULL
);

CREATE INDEX redeemed_tokens_by_expiry ON redeemed_tokens (expires_at);
