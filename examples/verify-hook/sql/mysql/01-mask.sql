-- Sample masking for MySQL, MariaDB and Aurora MySQL: EDIT for your schema (this one expects
-- app.customers(id, email, full_name, phone)). The statements run in order on one connection; the explicit
-- transaction makes the masking all-or-nothing (a failure closes the connection before COMMIT).
-- Write it so that running it twice does no harm.
START TRANSACTION;
UPDATE app.customers
SET email = CONCAT('customer-', id, '@example.invalid'),
    full_name = CONCAT('Customer ', id),
    phone = NULL;
COMMIT;
