INSERT INTO pay.payments (amount) VALUES (10), (20);
INSERT INTO pay.transfers (booked_on) VALUES ('2025-11-02'), ('2026-03-01');
