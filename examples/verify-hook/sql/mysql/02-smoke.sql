-- Smoke checks for MySQL 8.0.16+ / Aurora MySQL 3 / MariaDB 10.2+: MySQL has no RAISE outside stored programs,
-- so each check inserts a count into a temporary table whose named CHECK constraint fails when the count is
-- wrong; the error names the constraint ("Check constraint 'unmasked_rows_remain' is violated"). EDIT for your schema.
CREATE TEMPORARY TABLE trapheus_smoke (
  customers INT NOT NULL,
  unmasked INT NOT NULL,
  CONSTRAINT customers_table_is_empty CHECK (customers > 0),
  CONSTRAINT unmasked_rows_remain CHECK (unmasked = 0)
);
INSERT INTO trapheus_smoke (customers, unmasked)
SELECT COUNT(*), COALESCE(SUM(email NOT LIKE '%@example.invalid' OR phone IS NOT NULL), 0) FROM app.customers;
DROP TEMPORARY TABLE trapheus_smoke;
