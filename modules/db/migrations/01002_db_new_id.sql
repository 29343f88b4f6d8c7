-- db.new_id(): time-ordered keys (UUID version 7: 48 bits of Unix milliseconds,
-- then random bits), so rows created together sit together in a primary-key
-- index instead of landing on random pages. PostgreSQL 18 has uuidv7(); older
-- servers get the same layout from the clock and gen_random_uuid(), so the set
-- keeps running on 14 to 17 (docs/module-authors.md, "PostgreSQL versions").

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
  IF current_setting('server_version_num')::int >= 180000 THEN
    CREATE FUNCTION db.new_id() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE
    RETURN uuidv7();
  ELSE
    -- A random (version 4) UUID with its first 6 bytes replaced by the time in
    -- milliseconds and its version nibble turned from 4 (0100) into 7 (0111).
    CREATE FUNCTION db.new_id() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE
    RETURN encode(
      set_bit(set_bit(
        overlay(uuid_send(gen_random_uuid())
                PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                FROM 1 FOR 6),
        52, 1), 53, 1),
      'hex')::uuid;
  END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION db.new_id();
