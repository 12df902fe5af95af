-- keyward store schema, SQLite dialect (version 1).
-- Times are Unix seconds (INTEGER); enums are stored as their `as_str()` text;
-- booleans are INTEGER 0/1. Tables are STRICT so a value of the wrong type is refused.

CREATE TABLE meta (
    name  TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE keys (
    key_id                          TEXT    NOT NULL PRIMARY KEY,
    description                     TEXT    NOT NULL,
    key_spec                        TEXT    NOT NULL,
    key_usage                       TEXT    NOT NULL,
    origin                          TEXT    NOT NULL,
    protection_level                TEXT    NOT NULL,
    state                           TEXT    NOT NULL,
    creation_date                   INTEGER NOT NULL,
    delete_date                     INTEGER,
    material_expire                 INTEGER,
    primary_version                 TEXT,
    last_rotation                   INTEGER,
    instance_id                     TEXT,
    rotation_enabled                INTEGER NOT NULL,
    rotation_interval_secs          INTEGER,
    next_rotation                   INTEGER,
    deletion_protection_enabled     INTEGER NOT NULL,
    deletion_protection_description TEXT    NOT NULL,
    creator                         TEXT    NOT NULL,
    revision                        INTEGER NOT NULL
) STRICT;

CREATE INDEX keys_state_delete_date ON keys (state, delete_date);
CREATE INDEX keys_instance_id ON keys (instance_id);
CREATE INDEX keys_creation_date ON keys (creation_date, key_id);

CREATE TABLE key_versions (
    key_id          TEXT    NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    version_id      TEXT    NOT NULL,
    creation_date   INTEGER NOT NULL,
    sealed_material BLOB,
    PRIMARY KEY (key_id, version_id)
) STRICT;

CREATE TABLE key_tags (
    key_id    TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    tag_key   TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (key_id, tag_key)
) STRICT;

CREATE TABLE instances (
    instance_id   TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    spec_qps      INTEGER NOT NULL,
    key_quota     INTEGER NOT NULL,
    secret_quota  INTEGER NOT NULL,
    creation_date INTEGER NOT NULL
) STRICT;

CREATE TABLE access_keys (
    access_key_id TEXT    NOT NULL PRIMARY KEY,
    sealed_secret BLOB    NOT NULL,
    principal     TEXT    NOT NULL,
    enabled       INTEGER NOT NULL,
    creation_date INTEGER NOT NULL
) STRICT;
