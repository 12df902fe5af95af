-- keyward store schema, PostgreSQL dialect (version 4): secrets.
-- Adds the secrets (metadata, primary key = the case-sensitive secret name), their versions
-- (ciphertext blobs under the secret's encryption key; `stages` is a JSON array of strings, in
-- the order given, kept as TEXT so it round-trips byte for byte) and their tags. Versions and
-- tags are deleted with their secret. Names use the "C" collation: ORDER BY gives byte order.

CREATE TABLE secrets (
    secret_name       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    secret_type       TEXT   NOT NULL,
    description       TEXT   NOT NULL,
    encryption_key_id TEXT   NOT NULL,
    instance_id       TEXT COLLATE "C",
    creation_date     BIGINT NOT NULL,
    update_date       BIGINT NOT NULL,
    planned_delete    BIGINT,
    policy            TEXT   NOT NULL,
    creator           TEXT   NOT NULL,
    revision          BIGINT NOT NULL
);

-- The deletion sweep (planned delete time due).
CREATE INDEX secrets_planned_delete ON secrets (planned_delete);
-- The instance secret quota.
CREATE INDEX secrets_instance_id ON secrets (instance_id);
-- list_secrets.
CREATE INDEX secrets_creation_date ON secrets (creation_date, secret_name);

CREATE TABLE secret_versions (
    secret_name   TEXT COLLATE "C" NOT NULL REFERENCES secrets (secret_name) ON DELETE CASCADE,
    version_id    TEXT COLLATE "C" NOT NULL,
    seq           BIGINT NOT NULL,
    creation_date BIGINT NOT NULL,
    data_type     TEXT   NOT NULL,
    ciphertext    BYTEA  NOT NULL,
    stages        TEXT   NOT NULL,
    PRIMARY KEY (secret_name, version_id)
);

-- The versions of one secret, by seq.
CREATE INDEX secret_versions_seq ON secret_versions (secret_name, seq);

CREATE TABLE secret_tags (
    secret_name TEXT COLLATE "C" NOT NULL REFERENCES secrets (secret_name) ON DELETE CASCADE,
    tag_key     TEXT COLLATE "C" NOT NULL,
    tag_value   TEXT NOT NULL,
    PRIMARY KEY (secret_name, tag_key)
);
