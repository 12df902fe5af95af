-- keyward store schema, SQLite dialect (version 4): secrets.
-- Adds the secrets (metadata, primary key = the case-sensitive secret name), their versions
-- (ciphertext blobs under the secret's encryption key; `stages` is a JSON array of strings, in
-- the order given) and their tags. Versions and tags are deleted with their secret.

CREATE TABLE secrets (
    secret_name       TEXT    NOT NULL PRIMARY KEY,
    secret_type       TEXT    NOT NULL,
    description       TEXT    NOT NULL,
    encryption_key_id TEXT    NOT NULL,
    instance_id       TEXT,
    creation_date     INTEGER NOT NULL,
    update_date       INTEGER NOT NULL,
    planned_delete    INTEGER,
    policy            TEXT    NOT NULL,
    creator           TEXT    NOT NULL,
    revision          INTEGER NOT NULL
) STRICT;

-- The deletion sweep (planned delete time due).
CREATE INDEX secrets_planned_delete ON secrets (planned_delete);
-- The instance secret quota.
CREATE INDEX secrets_instance_id ON secrets (instance_id);
-- list_secrets.
CREATE INDEX secrets_creation_date ON secrets (creation_date, secret_name);

CREATE TABLE secret_versions (
    secret_name   TEXT    NOT NULL REFERENCES secrets (secret_name) ON DELETE CASCADE,
    version_id    TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    creation_date INTEGER NOT NULL,
    data_type     TEXT    NOT NULL,
    ciphertext    BLOB    NOT NULL,
    stages        TEXT    NOT NULL,
    PRIMARY KEY (secret_name, version_id)
) STRICT;

-- The versions of one secret, by seq.
CREATE INDEX secret_versions_seq ON secret_versions (secret_name, seq);

CREATE TABLE secret_tags (
    secret_name TEXT NOT NULL REFERENCES secrets (secret_name) ON DELETE CASCADE,
    tag_key     TEXT NOT NULL,
    tag_value   TEXT NOT NULL,
    PRIMARY KEY (secret_name, tag_key)
) STRICT;
