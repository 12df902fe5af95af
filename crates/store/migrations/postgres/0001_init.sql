-- keyward store schema, PostgreSQL dialect (version 1).
-- Times are Unix seconds (BIGINT); enums are stored as their `as_str()` text.
-- Identifier and tag-key columns use the "C" collation so that ORDER BY gives byte order,
-- the same order as SQLite's BINARY collation, whatever the database's default collation.

CREATE TABLE meta (
    name  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE keys (
    key_id                          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    description                     TEXT    NOT NULL,
    key_spec                        TEXT    NOT NULL,
    key_usage                       TEXT    NOT NULL,
    origin                          TEXT    NOT NULL,
    protection_level                TEXT    NOT NULL,
    state                           TEXT    NOT NULL,
    creation_date                   BIGINT  NOT NULL,
    delete_date                     BIGINT,
    material_expire                 BIGINT,
    primary_version                 TEXT,
    last_rotation                   BIGINT,
    instance_id                     TEXT COLLATE "C",
    rotation_enabled                BOOLEAN NOT NULL,
    rotation_interval_secs          BIGINT,
    next_rotation                   BIGINT,
    deletion_protection_enabled     BOOLEAN NOT NULL,
    deletion_protection_description TEXT    NOT NULL,
    creator                         TEXT    NOT NULL,
    revision                        BIGINT  NOT NULL
);

CREATE INDEX keys_state_delete_date ON keys (state, delete_date);
CREATE INDEX keys_instance_id ON keys (instance_id);
CREATE INDEX keys_creation_date ON keys (creation_date, key_id);

CREATE TABLE key_versions (
    key_id          TEXT COLLATE "C" NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    version_id      TEXT COLLATE "C" NOT NULL,
    creation_date   BIGINT NOT NULL,
    sealed_material BYTEA,
    PRIMARY KEY (key_id, version_id)
);

CREATE TABLE key_tags (
    key_id    TEXT COLLATE "C" NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    tag_key   TEXT COLLATE "C" NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (key_id, tag_key)
);

CREATE TABLE instances (
    instance_id   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name          TEXT   NOT NULL,
    kind          TEXT   NOT NULL,
    spec_qps      BIGINT NOT NULL,
    key_quota     BIGINT NOT NULL,
    secret_quota  BIGINT NOT NULL,
    creation_date BIGINT NOT NULL
);

CREATE TABLE access_keys (
    access_key_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    sealed_secret BYTEA   NOT NULL,
    principal     TEXT    NOT NULL,
    enabled       BOOLEAN NOT NULL,
    creation_date BIGINT  NOT NULL
);
