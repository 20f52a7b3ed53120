-- Remix (OpenAI dialect): the completed task a new one was made from. NULL for ordinary creates.
ALTER TABLE tasks ADD COLUMN remixed_from_id TEXT;
