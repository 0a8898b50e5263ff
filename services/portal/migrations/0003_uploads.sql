-- A sheet a system reporter or SRO uploaded for bulk import (services/portal/api/upload.py):
-- kept between the dry run they read and the confirm that posts its good rows, so the confirm
-- posts exactly the file whose outcome they saw.
CREATE TABLE uploads (
    upload_id   TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL,
    system      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    content     BYTEA NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    posted_at   TIMESTAMPTZ,
    posted      INTEGER
);
