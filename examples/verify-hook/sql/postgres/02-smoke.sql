-- Smoke checks for PostgreSQL: each raises an error, which fails the verification (and so rolls the run back),
-- when the restored copy is not fit to take over. EDIT for your schema.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM public.customers) THEN
    RAISE EXCEPTION 'public.customers is empty';
  END IF;
  IF EXISTS (SELECT 1 FROM public.customers WHERE email NOT LIKE '%@example.invalid' OR phone IS NOT NULL) THEN
    RAISE EXCEPTION 'unmasked rows remain in public.customers';
  END IF;
END
$$;
