-- expect: update-without-where@4
-- migrate:up
-- Recompute every total from its lines (every invoice, on purpose, but in one transaction).
UPDATE invoices
   SET total_cents = (
       SELECT coalesce(sum(amount_cents), 0)
         FROM invoice_lines l
        WHERE l.invoice_id = invoices.id
   );
