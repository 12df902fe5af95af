-- keyward store schema, PostgreSQL dialect (version 3): aliases and automatic rotation.
-- Adds the aliases (`alias/…`) pointing at keys (deleted with their key), an index for the
-- rotation sweeper's query and one to find a version's key by version id. Names use the "C" collation: ORDER BY gives byte order.

CREATE TABLE aliases (
    alias_name    TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    key_id        TEXT COLLATE "C" NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    creation_date BIGINT NOT NULL
);

-- The aliases of one key, by name (ListAliasesByKeyId), and the cascade from `keys`.
CREATE INDEX aliases_key_id ON aliases (key_id, alias_name);

-- The rotation sweeper's query (automatic rotation enabled, next rotation due).
CREATE INDEX keys_rotation_due ON keys (rotation_enabled, next_rotation);

-- The key of a version, by version id alone (key_id_for_version).
CREATE INDEX key_versions_version_id ON key_versions (version_id, key_id);
