-- Saleor's allocate_stocks (saleor/warehouse/management.py) for a 1-unit
-- order line: lock the variant's stock rows, sum their allocations, insert
-- the allocation, read the stock again, bump its counter, sum again for the
-- out-of-stock webhook, commit. Eight round trips, the stock row locked
-- from the first SELECT to the COMMIT.
--   pgbench -n -c 16 -j 2 -T 10 -D variants=1 -f saleor_allocate.sql
\set v random(1, :variants)
BEGIN;
SELECT id AS stock_id, quantity AS stock_quantity
  FROM warehouse_stock WHERE product_variant_id = :v ORDER BY id FOR UPDATE \gset
-- Saleor groups by stock_id over the locked ids; the LEFT JOIN keeps one
-- row when the stock has no allocation yet (\gset needs exactly one).
SELECT s.id AS summed_stock_id, COALESCE(SUM(a.quantity_allocated), 0) AS allocated_sum
  FROM (VALUES (:stock_id)) AS s (id)
  LEFT JOIN warehouse_allocation AS a ON a.stock_id = s.id AND a.quantity_allocated > 0
 GROUP BY s.id \gset
\if :stock_quantity - :allocated_sum >= 1
INSERT INTO warehouse_allocation (order_line_id, stock_id, quantity_allocated)
VALUES (nextval('order_line_ids'), :stock_id, 1);
\endif
SELECT id, quantity, quantity_allocated FROM warehouse_stock WHERE id IN (:stock_id);
UPDATE warehouse_stock SET quantity_allocated = quantity_allocated + 1 WHERE id = :stock_id;
SELECT COALESCE(SUM(a.quantity_allocated), 0)
  FROM warehouse_allocation AS a JOIN warehouse_stock AS s ON s.id = a.stock_id
 WHERE s.product_variant_id = :v;
COMMIT;
