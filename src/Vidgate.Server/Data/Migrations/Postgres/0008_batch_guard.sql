-- A create batch's statements and its COMMIT go to PostgreSQL in one round trip (PostgresTaskStore.InsertManyAsync), so
-- a condition found false inside the batch must stop it there: this raises, which aborts the transaction (the COMMIT
-- that follows in the batch then only ends it), and the server writes the batch again the careful way. SQLSTATE VG001
-- tells that apart from any other error; `what` says which condition.
CREATE FUNCTION vidgate_require(ok boolean, what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'vidgate: %', what USING ERRCODE = 'VG001';
    END IF;
    RETURN true;
END
$$;
