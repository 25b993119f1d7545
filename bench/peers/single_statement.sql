-- The best a hand-written allocation can do for one 1-unit order: one
-- statement (one round trip, autocommit) that takes the unit only if it is
-- free and records the allocation.
--   pgbench -n -c 16 -j 2 -T 10 -D variants=10000 -f single_statement.sql
\set v random(1, :variants)
WITH taken AS (
    UPDATE warehouse_stock SET quantity_allocated = quantity_allocated + 1
     WHERE product_variant_id = :v AND quantity - quantity_allocated >= 1
    RETURNING id
)
INSERT INTO warehouse_allocation (order_line_id, stock_id, quantity_allocated)
SELECT nextval('order_line_ids'), taken.id, 1 FROM taken;
