-- The peers' schema: Saleor's stock and allocation tables, reduced to the
-- columns the allocation path reads and writes.
--   psql -v ON_ERROR_STOP=1 -v variants=10000 -f schema.sql <database>
-- One warehouse, so one stock row per variant: a hot variant is one row
-- that every order locks. Stock is large enough never to run out in a run.
DROP TABLE IF EXISTS warehouse_allocation;
DROP TABLE IF EXISTS warehouse_stock;
DROP SEQUENCE IF EXISTS order_line_ids;

CREATE TABLE warehouse_stock (
    id                 serial PRIMARY KEY,
    product_variant_id integer NOT NULL,
    warehouse_id       integer NOT NULL,
    quantity           integer NOT NULL CHECK (quantity >= 0),
    quantity_allocated integer NOT NULL DEFAULT 0,
    UNIQUE (warehouse_id, product_variant_id)
);
CREATE INDEX warehouse_stock_product_variant_id ON warehouse_stock (product_variant_id);

CREATE TABLE warehouse_allocation (
    id                 bigserial PRIMARY KEY,
    order_line_id      bigint NOT NULL,
    stock_id           integer NOT NULL REFERENCES warehouse_stock (id),
    quantity_allocated integer NOT NULL DEFAULT 0,
    UNIQUE (order_line_id, stock_id)
);
CREATE INDEX warehouse_allocation_stock_id ON warehouse_allocation (stock_id);

-- Order lines exist before they are allocated; a sequence stands in for
-- their ids so that every transaction allocates a line of its own.
CREATE SEQUENCE order_line_ids;

INSERT INTO warehouse_stock (product_variant_id, warehouse_id, quantity)
SELECT v, 1, 1000000000 FROM generate_series(1, :variants) AS v;

VACUUM ANALYZE warehouse_stock;
VACUUM ANALYZE warehouse_allocation;
