-- The single-statement allocation batched: one transaction allocates 100
-- one-unit orders (100 allocation rows) of a variant. Orders/s = tps x 100.
--   pgbench -n -c 16 -j 2 -T 10 -D variants=1 -f batched_100.sql
\set v random(1, :variants)
BEGIN;
WITH taken AS (
    UPDATE warehouse_stock SET quantity_allocated = quantity_allocated + 100
     WHERE product_variant_id = :v AND quantity - quantity_allocated >= 100
    RETURNING id
)
INSERT INTO warehouse_allocation (order_line_id, stock_id, quantity_allocated)
SELECT nextval('order_line_ids'), taken.id, 1 FROM taken, generate_series(1, 100);
COMMIT;
