DROP TABLE refresh_tokens;
DROP TABLE email_verification_tokens;
DROP TABLE users;
