-- keyward store schema, PostgreSQL dialect (version 5): key policies, principals, identity
-- policies. Adds the key policy documents (one per key, deleted with it), the principals
-- AccessKeys belong to, the named identity policies and their attachments to principals. An
-- attachment goes with its principal; a policy cannot be deleted while attached (the store checks
-- it explicitly in `delete_policy`, the foreign key is the backstop). Names use the "C"
-- collation: ORDER BY gives byte order. Existing databases keep working: every principal named
-- by an AccessKey, and `admin`, get a principal row.

CREATE TABLE key_policies (
    key_id   TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES keys (key_id) ON DELETE CASCADE,
    document TEXT NOT NULL
);

CREATE TABLE principals (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    description   TEXT   NOT NULL,
    creation_date BIGINT NOT NULL
);

CREATE TABLE policies (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    description   TEXT   NOT NULL,
    document      TEXT   NOT NULL,
    creation_date BIGINT NOT NULL,
    update_date   BIGINT NOT NULL
);

CREATE TABLE principal_policies (
    principal TEXT COLLATE "C" NOT NULL REFERENCES principals (name) ON DELETE CASCADE,
    policy    TEXT COLLATE "C" NOT NULL REFERENCES policies (name),
    PRIMARY KEY (principal, policy)
);

-- list_policy_principals and the attached check of delete_policy.
CREATE INDEX principal_policies_policy ON principal_policies (policy, principal);

-- delete_principal's AccessKey check.
CREATE INDEX access_keys_principal ON access_keys (principal);

INSERT INTO principals (name, description, creation_date)
SELECT principal, '', CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)
FROM (SELECT DISTINCT principal FROM access_keys UNION SELECT 'admin') AS p (principal)
ON CONFLICT (name) DO NOTHING;
