-- MySQL only: user ids and keys compare byte for byte there too.
SELECT 1;
