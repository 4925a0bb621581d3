-- Uploaded pictures as the pipeline stores them: the cleaned file name the
-- uploader gave (for Content-Disposition), and the variants made from it
-- (display, thumb, blurred), each {mime, width, height, bytes}, as JSON.
-- width, height, mime and bytes on the row describe the display variant.
ALTER TABLE media ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN variants TEXT NOT NULL DEFAULT '{}';
CREATE INDEX media_owner_unattached ON media (owner_id, created_at) WHERE post_id IS NULL;
