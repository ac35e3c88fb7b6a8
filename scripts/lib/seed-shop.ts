// The demo app's database: a few related tables and ~200k rows, so backups take long enough to show progress.
import type postgres from "postgres";

export async function seedShop(sql: postgres.Sql, opts: { customers?: number; orders?: number } = {}): Promise<void> {
  const customers = opts.customers ?? 20_000;
  const orders = opts.orders ?? 60_000;
  await sql.begin(async (tx) => {
    await tx`CREATE TABLE IF NOT EXISTS settings (key text PRIMARY KEY, value text NOT NULL)`;
    await tx`CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now())`;
    await tx`CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL, price_cents integer NOT NULL CHECK (price_cents >= 0))`;
    await tx`CREATE TABLE orders (id serial PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers(id), status text NOT NULL, created_at timestamptz NOT NULL)`;
    await tx`CREATE TABLE order_items (order_id integer NOT NULL REFERENCES orders(id), product_id integer NOT NULL REFERENCES products(id), quantity integer NOT NULL, price_cents integer NOT NULL, PRIMARY KEY (order_id, product_id))`;
    await tx`INSERT INTO settings VALUES ('banner', 'Welcome to the shop'), ('schema_version', '3')`;
    await tx`INSERT INTO customers (name, email, created_at)
      SELECT 'Customer ' || g, 'customer' || g || '@example.com', now() - (g || ' minutes')::interval
      FROM generate_series(1, ${customers}) g`;
    await tx`INSERT INTO products (name, price_cents) SELECT 'Product ' || g, (g * 137) % 10000 + 99 FROM generate_series(1, 500) g`;
    await tx`INSERT INTO orders (customer_id, status, created_at)
      SELECT (g % ${customers}) + 1, (ARRAY['paid','shipped','refunded'])[g % 3 + 1], now() - (g || ' seconds')::interval
      FROM generate_series(1, ${orders}) g`;
    await tx`INSERT INTO order_items (order_id, product_id, quantity, price_cents)
      SELECT o, p, (o + p) % 5 + 1, ((o * p) % 9000) + 100
      FROM generate_series(1, ${orders}) o, LATERAL (SELECT ((o * 7 + k * 13) % 500) + 1 AS p FROM generate_series(1, 2) k) s
      ON CONFLICT DO NOTHING`;
  });
  await sql`ANALYZE`;
}
