-- Sample masking for PostgreSQL: EDIT for your schema (this one expects public.customers(id, email, full_name, phone)).
-- The file is sent as one query: PostgreSQL runs its statements in one implicit transaction, so a failure
-- leaves nothing half-masked. Write it so that running it twice does no harm.
UPDATE public.customers
SET email = 'customer-' || id || '@example.invalid',
    full_name = 'Customer ' || id,
    phone = NULL;
