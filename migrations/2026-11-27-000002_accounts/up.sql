CREATE TABLE users (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    -- Stored trimmed and lower-cased by the application; the index makes case variants
    -- collide even if a future code path forgets to normalise.
    email text NOT NULL,
    -- Argon2id PHC string.
    password_hash text NOT NULL,
    access_level text NOT NULL DEFAULT 'CORE'
        CHECK (access_level IN ('CORE', 'ADVANCE', 'ROADSHOW')),
    occupation text CHECK (occupation IN ('student', 'researcher')),
    email_verified boolean NOT NULL DEFAULT false,
    is_admin boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- Only SHA-256 digests of tokens are stored: a database leak yields no usable token.
CREATE TABLE email_verification_tokens (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_verification_tokens_user_id_idx ON email_verification_tokens (user_id);

CREATE TABLE refresh_tokens (
    -- Equals the token's `jti` claim.
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Every token rotated from one login shares the family; replaying a rotated token
    -- revokes the whole family.
    family_id uuid NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    replaced_by uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    rotated_at timestamptz,
    revoked_at timestamptz,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
