-- keyward store schema, SQLite dialect (version 2): Bring Your Own Key.
-- Adds the keyed fingerprint of a version's first imported material, and the import tokens
-- issued by GetParametersForImport (deleted with their key).

ALTER TABLE key_versions ADD COLUMN material_fingerprint BLOB;

-- The expiry sweeper's query (EXTERNAL keys whose material has expired).
CREATE INDEX keys_origin_material_expire ON keys (origin, material_expire);

CREATE TABLE import_tokens (
    token_id           TEXT    NOT NULL PRIMARY KEY,
    key_id             TEXT    NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    version_id         TEXT    NOT NULL,
    wrapping_spec      TEXT    NOT NULL,
    wrapping_algorithm TEXT    NOT NULL,
    sealed_private_key BLOB    NOT NULL,
    public_key_der     BLOB    NOT NULL,
    creation_date      INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL
) STRICT;

CREATE INDEX import_tokens_key_id_expires_at ON import_tokens (key_id, expires_at);
CREATE INDEX import_tokens_expires_at ON import_tokens (expires_at);
